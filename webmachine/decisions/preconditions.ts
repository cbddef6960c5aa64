import vary from 'vary';
import { type EntityTag, parseETagList, strongMatch, weakMatch } from '../etag.js';
import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import { parseHttpDate, toSeconds } from '../http-date.js';
import type { Step } from './types.js';

/** Columns G to L: existence, then If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */

const UNSAFE = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

async function buildVary(f: FlowState): Promise<string[]> {
  const fields: string[] = [];
  if ((await f.provided()).length > 1) fields.push('Accept');
  if ((await f.ask(f.resource.languagesProvided())).length > 1) fields.push('Accept-Language');
  const charsets = await f.ask(f.resource.charsetsProvided());
  if (charsets !== null && charsets.length > 1) fields.push('Accept-Charset');
  if ((await f.ask(f.resource.encodingsProvided())).length > 1) fields.push('Accept-Encoding');
  return [...fields, ...(await f.ask(f.resource.variances()))];
}

export async function g7(f: FlowState): Promise<Step> {
  // All negotiation is done here, so Vary is known; every answer from now on carries it.
  const fields = await buildVary(f);
  if (fields.length > 0) f.res.setHeader('Vary', vary.append(f.res.getHeader('vary') ?? '', fields));
  if (await f.ask(f.resource.resourceExists())) return f.rfc ? 'g7a' : 'g8';
  return 'h7';
}

/** RFC 6585 428, not on the 2009 diagram: a lost-update guard for unsafe methods. */
export async function g7a(f: FlowState): Promise<Step> {
  const unguarded = f.req.header('if-match') === undefined && f.req.header('if-unmodified-since') === undefined;
  if (UNSAFE.has(f.method) && unguarded && (await f.ask(f.resource.preconditionRequired()))) {
    return halt(428, { detail: 'This request must be conditional: send If-Match with the current ETag.' });
  }
  return 'g8';
}

export async function g8(f: FlowState): Promise<Step> {
  return f.req.header('if-match') !== undefined ? 'g9' : 'h10';
}

export async function g9(f: FlowState): Promise<Step> {
  const raw = f.req.header('if-match') ?? '';
  return (f.rfc ? raw.trim() : raw) === '*' ? 'h10' : 'g11';
}

function listed(header: string, current: EntityTag[], match: (a: EntityTag, b: EntityTag) => boolean): boolean {
  const tags = parseETagList(header);
  if (tags === undefined || tags === '*') return false;
  return tags.some((t) => current.some((c) => match(t, c)));
}

export async function g11(f: FlowState): Promise<Step> {
  // RFC 9110 13.1.1: If-Match uses the strong comparison; Basho's v3 compared opaque parts only.
  const match = f.rfc ? strongMatch : weakMatch;
  if (listed(f.req.header('if-match') ?? '', await f.currentTags(), match)) return 'h10';
  return halt(412, { detail: 'If-Match does not list the current entity-tag; reload and retry.' });
}

export async function h10(f: FlowState): Promise<Step> {
  // RFC 9110 13.2.2: If-Unmodified-Since is evaluated only when If-Match is absent.
  if (f.rfc && f.req.header('if-match') !== undefined) return 'i12';
  return f.req.header('if-unmodified-since') !== undefined ? 'h11' : 'i12';
}

export async function h11(f: FlowState): Promise<Step> {
  return parseHttpDate(f.req.header('if-unmodified-since')) !== undefined ? 'h12' : 'i12';
}

export async function h12(f: FlowState): Promise<Step> {
  const since = parseHttpDate(f.req.header('if-unmodified-since'))!;
  const modified = await f.lastModified();
  if (modified === undefined) return 'i12';
  if (toSeconds(modified) <= since) return 'i12';
  return halt(412, { detail: 'The resource was modified after the If-Unmodified-Since date.' });
}

export async function i12(f: FlowState): Promise<Step> {
  return f.req.header('if-none-match') !== undefined ? 'i13' : 'l13';
}

export async function i13(f: FlowState): Promise<Step> {
  const raw = f.req.header('if-none-match') ?? '';
  return (f.rfc ? raw.trim() : raw) === '*' ? 'j18' : 'k13';
}

export async function k13(f: FlowState): Promise<Step> {
  // RFC 9110 13.1.2: If-None-Match uses the weak comparison.
  return listed(f.req.header('if-none-match') ?? '', await f.currentTags(), weakMatch) ? 'j18' : 'l13';
}

export async function j18(f: FlowState): Promise<Step> {
  if (f.isGetOrHead) return 304;
  return halt(412, { detail: 'If-None-Match matched: the resource already exists in that state.' });
}

export async function l13(f: FlowState): Promise<Step> {
  // RFC 9110 13.1.3: If-Modified-Since only for GET/HEAD, and ignored when If-None-Match is present.
  if (f.rfc && (!f.isGetOrHead || f.req.header('if-none-match') !== undefined)) return 'm16';
  return f.req.header('if-modified-since') !== undefined ? 'l14' : 'm16';
}

export async function l14(f: FlowState): Promise<Step> {
  return parseHttpDate(f.req.header('if-modified-since')) !== undefined ? 'l15' : 'm16';
}

export async function l15(f: FlowState): Promise<Step> {
  const since = parseHttpDate(f.req.header('if-modified-since'))!;
  return since > toSeconds(new Date()) ? 'm16' : 'l17';
}

export async function l17(f: FlowState): Promise<Step> {
  const since = parseHttpDate(f.req.header('if-modified-since'))!;
  const modified = await f.lastModified();
  if (modified === undefined) return 'm16';
  return toSeconds(modified) > since ? 'm16' : 304;
}
