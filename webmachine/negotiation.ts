import Negotiator from 'negotiator';

/**
 * Content negotiation (docs/webmachine.md, "Callbacks and defaults") on top of jshttp's negotiator, which already
 * follows RFC 9110: q=0 means "not acceptable", the most specific matching range decides the q
 * of an offer, ties keep the server's order, names compare case-insensitively.
 */
function negotiator(header: string, value: string): Negotiator {
  return new Negotiator({ headers: { [header]: value } });
}

/** C4. A bare `*` is an old-client spelling of `*\/*` (webmachine accepts it too). */
export function chooseMediaType(accept: string, provided: string[]): string | undefined {
  const value = accept.trim() === '*' ? '*/*' : accept;
  return negotiator('accept', value).mediaTypes(provided)[0];
}

/** D5. Basic filtering in either prefix direction, as negotiator implements it. */
export function chooseLanguage(acceptLanguage: string, provided: string[]): string | undefined {
  return negotiator('accept-language', acceptLanguage).languages(provided)[0];
}

/** E6. No implicit ISO-8859-1 default: RFC 9110 dropped it (section 12.5.2). */
export function chooseCharset(acceptCharset: string, provided: string[]): string | undefined {
  return negotiator('accept-charset', acceptCharset).charsets(provided)[0];
}

/**
 * F7. identity stays acceptable unless excluded by `identity;q=0` or `*;q=0` (RFC 9110 12.5.3);
 * negotiator implements exactly that rule, including "an empty header means identity only".
 */
export function chooseEncoding(acceptEncoding: string, provided: string[]): string | undefined {
  return negotiator('accept-encoding', acceptEncoding).encodings(provided)[0];
}

/** v3 profile of E6: Basho's implicit ISO-8859-1 default, acceptable unless excluded. */
export function chooseCharsetV3(acceptCharset: string, provided: string[]): string | undefined {
  const chosen = chooseCharset(acceptCharset, provided);
  if (chosen !== undefined) return chosen;
  const excluded = /(^|,)\s*(iso-8859-1|\*)\s*;\s*q=0(\.0*)?\s*(,|$)/i.test(acceptCharset);
  const iso = provided.find((c) => c.toLowerCase() === 'iso-8859-1');
  return excluded ? undefined : iso;
}

/** The media type without parameters, lower-cased, for the accept helper's comparison. */
export function essence(mediaType: string): string {
  return mediaType.split(';')[0]!.trim().toLowerCase();
}
