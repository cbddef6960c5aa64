import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import { chooseCharset, chooseCharsetV3, chooseEncoding, chooseLanguage, chooseMediaType } from '../negotiation.js';
import type { Step } from './types.js';

/** Columns C to F: content negotiation for Accept, Accept-Language, Accept-Charset, Accept-Encoding. */

export async function c3(f: FlowState): Promise<Step> {
  if (f.req.header('accept') !== undefined) return 'c4';
  const provided = await f.provided();
  if (provided.length === 0) throw new Error('content_types_provided is empty');
  f.resource.chosen.mediaType = provided[0]![0];
  return 'd4';
}

export async function c4(f: FlowState): Promise<Step> {
  const offered = (await f.provided()).map(([type]) => type);
  const chosen = chooseMediaType(f.req.header('accept') ?? '', offered);
  if (chosen === undefined) return halt(406, { detail: `Acceptable media types: ${offered.join(', ')}.`, available: offered });
  f.resource.chosen.mediaType = chosen;
  return 'd4';
}

export async function d4(f: FlowState): Promise<Step> {
  if (f.req.header('accept-language') !== undefined) return 'd5';
  if (f.rfc) {
    const languages = await f.ask(f.resource.languagesProvided());
    if (languages.length > 0) setLanguage(f, languages[0]!);
  }
  return 'e5';
}

function setLanguage(f: FlowState, language: string): void {
  f.resource.chosen.language = language;
  f.res.setHeader('Content-Language', language);
}

export async function d5(f: FlowState): Promise<Step> {
  if (!f.rfc) return (await f.ask(f.resource.languageAvailable())) ? 'e5' : 406;
  const languages = await f.ask(f.resource.languagesProvided());
  if (languages.length === 0) return 'e5';
  const chosen = chooseLanguage(f.req.header('accept-language') ?? '', [...languages]);
  if (chosen !== undefined) {
    setLanguage(f, chosen);
    return 'e5';
  }
  // RFC 9110 12.5.4: ignoring an unsatisfiable Accept-Language is allowed and usually kinder.
  if (await f.ask(f.resource.strictLanguage())) return halt(406, { detail: `Available languages: ${languages.join(', ')}.` });
  setLanguage(f, languages[0]!);
  return 'e5';
}

export async function e5(f: FlowState): Promise<Step> {
  const charsets = await f.ask(f.resource.charsetsProvided());
  if (charsets === null) return 'f6';
  if (f.req.header('accept-charset') !== undefined) return 'e6';
  if (charsets.length === 0) return 406;
  f.resource.chosen.charset = charsets[0]![0];
  return 'f6';
}

export async function e6(f: FlowState): Promise<Step> {
  const charsets = (await f.ask(f.resource.charsetsProvided())) ?? [];
  const offered = charsets.map(([name]) => name);
  const header = f.req.header('accept-charset') ?? '';
  const chosen = f.rfc ? chooseCharset(header, offered) : chooseCharsetV3(header, offered);
  if (chosen === undefined) return halt(406, { detail: `Available charsets: ${offered.join(', ')}.` });
  f.resource.chosen.charset = chosen;
  return 'f6';
}

export async function f6(f: FlowState): Promise<Step> {
  const { mediaType, charset } = f.resource.chosen;
  if (mediaType !== undefined) f.res.setHeader('Content-Type', charset === undefined ? mediaType : `${mediaType}; charset=${charset}`);
  if (f.req.header('accept-encoding') !== undefined) return 'f7';
  const encodings = await f.ask(f.resource.encodingsProvided());
  if (encodings.length === 0) return 406;
  // No header: as if "identity;q=1.0, *;q=0.5": identity when offered, else the first coding.
  f.resource.chosen.encoding = encodings.includes('identity') ? 'identity' : encodings[0]!;
  return 'g7';
}

export async function f7(f: FlowState): Promise<Step> {
  const encodings = await f.ask(f.resource.encodingsProvided());
  const chosen = chooseEncoding(f.req.header('accept-encoding') ?? '', [...encodings]);
  if (chosen === undefined) return halt(406, { detail: `Available content-codings: ${encodings.join(', ')}.` });
  f.resource.chosen.encoding = chosen;
  return 'g7';
}
