import vary from 'vary';
import { type EntityTag, parseETagList, strongMatch, weakMatch } from '../etag.js';
import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import { parseHttpDate, toSeconds } from '../http-date.js';
import { all, andThen, type Maybe } from '../maybe.js';
import type { Step } from './types.js';

/** Columns G to L: existence, then If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */

const UNSAFE = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
const NONE: readonly string[] = [];

/** Every dimension offered more than once, then the variances callback. */
function buildVary(f: FlowState): Maybe<string[]> {
  // Languages are negotiated only in the rfc profile (Basho's D5 is a plain yes/no).
  const lists = all(f.provided(), f.rfc ? f.languages() : NONE, f.charsets(), f.encodings(), f.ask(f.resource.variances()));
  return andThen(lists, ([provided, languages, charsets, encodings, variances]) => {
    const fields: string[] = [];
    if (provided.length > 1) fields.push('Accept');
    if (languages.length > 1) fields.push('Accept-Language');
    if (charsets !== null && charsets.length > 1) fields.push('Accept-Charset');
    if (encodings.length > 1) fields.push('Accept-Encoding');
    fields.push(...variances);
    return fields;
  });
}

/** G7: Resource exists? */
export function g7(f: FlowState): Maybe<Step> {
  // All negotiation is done here, so Vary is known; every answer from now on carries it.
  return andThen(buildVary(f), (fields) => {
    if (fields.length > 0) f.res.setHeader('Vary', vary.append(f.res.getHeader('vary') ?? '', fields));
    return andThen(f.ask(f.resource.resourceExists()), (exists) => (exists ? (f.rfc ? 'g7a' : 'g8') : 'h7'));
  });
}

/** G7a: Precondition required for this unsafe method? (RFC 6585 428, not on the 2009 diagram: a lost-update guard) */
export function g7a(f: FlowState): Maybe<Step> {
  // Any precondition guards against a lost update; If-None-Match: * is the create-only guard.
  const unguarded = ['if-match', 'if-unmodified-since', 'if-none-match'].every((h) => f.req.header(h) === undefined);
  if (!UNSAFE.has(f.method) || !unguarded) return 'g8';
  return andThen(f.ask(f.resource.preconditionRequired()), (required) =>
    required ? halt(428, { detail: 'This request must be conditional: send If-Match with the current ETag.' }) : 'g8',
  );
}

/** G8: If-Match exists? */
export function g8(f: FlowState): Step {
  return f.req.header('if-match') !== undefined ? 'g9' : 'h10';
}

/** G9: If-Match: * ? */
export function g9(f: FlowState): Step {
  // Node strips the field value's surrounding whitespace, so `*` arrives bare.
  return f.req.header('if-match') === '*' ? 'h10' : 'g11';
}

function listed(header: string, current: EntityTag[], match: (a: EntityTag, b: EntityTag) => boolean): boolean {
  const tags = parseETagList(header);
  if (tags === undefined || tags === '*') return false;
  return tags.some((t) => current.some((c) => match(t, c)));
}

/** G11: ETag in If-Match? */
export function g11(f: FlowState): Maybe<Step> {
  // RFC 9110 13.1.1: If-Match uses the strong comparison; Basho's v3 compared opaque parts only.
  const match = f.rfc ? strongMatch : weakMatch;
  return andThen(f.currentTags(), (current) =>
    listed(f.req.header('if-match')!, current, match) ? 'h10' : halt(412, { detail: 'If-Match does not list the current entity-tag; reload and retry.' }),
  );
}

/** H10: If-Unmodified-Since exists? */
export function h10(f: FlowState): Step {
  // RFC 9110 13.2.2: If-Unmodified-Since is evaluated only when If-Match is absent.
  if (f.rfc && f.req.header('if-match') !== undefined) return 'i12';
  return f.req.header('if-unmodified-since') !== undefined ? 'h11' : 'i12';
}

/** H11: If-Unmodified-Since is a valid date? */
export function h11(f: FlowState): Step {
  return parseHttpDate(f.req.header('if-unmodified-since')) !== undefined ? 'h12' : 'i12';
}

/** H12: Last-Modified > If-Unmodified-Since? */
export function h12(f: FlowState): Maybe<Step> {
  const since = parseHttpDate(f.req.header('if-unmodified-since'))!;
  return andThen(f.lastModified(), (modified) => {
    if (modified === undefined || toSeconds(modified) <= since) return 'i12';
    return halt(412, { detail: 'The resource was modified after the If-Unmodified-Since date.' });
  });
}

/** I12: If-None-Match exists? */
export function i12(f: FlowState): Step {
  return f.req.header('if-none-match') !== undefined ? 'i13' : 'l13';
}

/** I13: If-None-Match: * ? */
export function i13(f: FlowState): Step {
  return f.req.header('if-none-match') === '*' ? 'j18' : 'k13';
}

/** K13: ETag in If-None-Match? */
export function k13(f: FlowState): Maybe<Step> {
  // RFC 9110 13.1.2: If-None-Match uses the weak comparison.
  return andThen(f.currentTags(), (current) => (listed(f.req.header('if-none-match')!, current, weakMatch) ? 'j18' : 'l13'));
}

/** J18: GET or HEAD? */
export function j18(f: FlowState): Step {
  if (f.isGetOrHead) return 304;
  return halt(412, { detail: 'If-None-Match matched: the resource already exists in that state.' });
}

/** L13: If-Modified-Since exists? */
export function l13(f: FlowState): Step {
  // RFC 9110 13.1.3: If-Modified-Since only for GET/HEAD, and ignored when If-None-Match is present.
  if (f.rfc && (!f.isGetOrHead || f.req.header('if-none-match') !== undefined)) return 'm16';
  return f.req.header('if-modified-since') !== undefined ? 'l14' : 'm16';
}

/** L14: If-Modified-Since is a valid date? */
export function l14(f: FlowState): Step {
  return parseHttpDate(f.req.header('if-modified-since')) !== undefined ? 'l15' : 'm16';
}

/** L15: If-Modified-Since in the future? */
export function l15(f: FlowState): Step {
  const since = parseHttpDate(f.req.header('if-modified-since'))!;
  return since > toSeconds(new Date()) ? 'm16' : 'l17';
}

/** L17: Last-Modified > If-Modified-Since? */
export function l17(f: FlowState): Maybe<Step> {
  const since = parseHttpDate(f.req.header('if-modified-since'))!;
  return andThen(f.lastModified(), (modified) => (modified === undefined || toSeconds(modified) > since ? 'm16' : 304));
}
