import { supportedCodings } from '../content-coding.js';
import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import { andThen, type Maybe } from '../maybe.js';
import { chooseCharset, chooseCharsetV3, chooseEncoding, chooseLanguage, chooseMediaType } from '../negotiation.js';
import type { Step } from './types.js';

/** Columns C to F: content negotiation for Accept, Accept-Language, Accept-Charset, Accept-Encoding. */

/** C3: Accept exists? */
export function c3(f: FlowState): Maybe<Step> {
  if (f.req.header('accept') !== undefined) return 'c4';
  return andThen(f.provided(), (provided) => {
    if (provided.length === 0) throw new Error('content_types_provided is empty');
    f.resource.chosen.mediaType = provided[0]![0];
    return 'd4';
  });
}

/** C4: Acceptable media type available? */
export function c4(f: FlowState): Maybe<Step> {
  return andThen(f.provided(), (provided) => {
    const offered = provided.map(([type]) => type);
    const chosen = chooseMediaType(f.req.header('accept')!, offered);
    if (chosen === undefined) return halt(406, { detail: `Acceptable media types: ${offered.join(', ')}.`, available: offered });
    f.resource.chosen.mediaType = chosen;
    return 'd4';
  });
}

/** D4: Accept-Language exists? */
export function d4(f: FlowState): Maybe<Step> {
  if (f.req.header('accept-language') !== undefined) return 'd5';
  if (!f.rfc) return 'e5';
  return andThen(f.languages(), (languages) => {
    if (languages.length > 0) setLanguage(f, languages[0]!);
    return 'e5';
  });
}

function setLanguage(f: FlowState, language: string): void {
  f.resource.chosen.language = language;
  f.res.setHeader('Content-Language', language);
}

/** D5: Acceptable language available? */
export async function d5(f: FlowState): Promise<Step> {
  if (!f.rfc) return (await f.ask(f.resource.languageAvailable())) ? 'e5' : 406;
  const languages = await f.languages();
  if (languages.length === 0) return 'e5';
  const chosen = chooseLanguage(f.req.header('accept-language')!, [...languages]);
  if (chosen !== undefined) {
    setLanguage(f, chosen);
    return 'e5';
  }
  // RFC 9110 12.5.4: ignoring an unsatisfiable Accept-Language is allowed and usually kinder.
  if (await f.ask(f.resource.strictLanguage())) return halt(406, { detail: `Available languages: ${languages.join(', ')}.` });
  setLanguage(f, languages[0]!);
  return 'e5';
}

/** E5: Accept-Charset exists? */
export function e5(f: FlowState): Maybe<Step> {
  return andThen(f.charsets(), (charsets) => {
    if (charsets === null) return 'f6';
    if (f.req.header('accept-charset') !== undefined) return 'e6';
    if (charsets.length === 0) return 406;
    f.resource.chosen.charset = charsets[0]![0];
    return 'f6';
  });
}

/** E6: Acceptable charset available? */
export async function e6(f: FlowState): Promise<Step> {
  // E5 only comes here when charset negotiation is on (the list is not null).
  const offered = (await f.charsets())!.map(([name]) => name);
  const header = f.req.header('accept-charset')!;
  const chosen = f.rfc ? chooseCharset(header, offered) : chooseCharsetV3(header, offered);
  if (chosen === undefined) return halt(406, { detail: `Available charsets: ${offered.join(', ')}.` });
  f.resource.chosen.charset = chosen;
  return 'f6';
}

/** F6: Accept-Encoding exists? */
export function f6(f: FlowState): Maybe<Step> {
  // C3/C4 always chose a media type.
  const { mediaType, charset } = f.resource.chosen;
  f.res.setHeader('Content-Type', charset === undefined ? mediaType! : `${mediaType}; charset=${charset}`);
  if (f.req.header('accept-encoding') !== undefined) return 'f7';
  return andThen(f.encodings(), (encodings) => {
    if (encodings.length === 0) return 406;
    // No header: as if "identity;q=1.0, *;q=0.5": identity when offered, else the first coding.
    return setEncoding(f, encodings.includes('identity') ? 'identity' : encodings[0]!);
  });
}

/** F7: Acceptable encoding available? */
export function f7(f: FlowState): Maybe<Step> {
  return andThen(f.encodings(), (encodings) => {
    const chosen = chooseEncoding(f.req.header('accept-encoding')!, [...encodings]);
    if (chosen === undefined) return halt(406, { detail: `Available content-codings: ${encodings.join(', ')}.` });
    return setEncoding(f, chosen);
  });
}

/** The engine encodes bodies itself, so a coding it has no encoder for is a resource bug. */
function setEncoding(f: FlowState, coding: string): Step {
  if (!supportedCodings.includes(coding.toLowerCase())) throw new Error(`encodings_provided offers ${coding}; the engine encodes only ${supportedCodings.join(', ')}`);
  f.resource.chosen.encoding = coding.toLowerCase();
  return 'g7';
}
