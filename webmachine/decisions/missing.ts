import { halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import { andThen, type Maybe } from '../maybe.js';
import { acceptHelper } from './accept-helper.js';
import type { Step } from './types.js';

const missingForIfMatch = halt(412, { detail: 'If-Match was sent but the resource does not exist.' });
const notFound = (f: FlowState): Step => halt(404, { detail: `Nothing is found at ${f.req.path}.` });

/** The branch taken when resource_exists answered false (H7 onwards). */

/** H7: If-Match exists (on a missing resource)? */
export function h7(f: FlowState): Step {
  if (f.req.header('if-match') === undefined) return 'i7';
  // Basho answers 412 at once. RFC 9110 13.2.1 lets 301/307/404/410 win, so the rfc profile
  // only fails where a 2xx was coming (P3, and N11 via M7/N5).
  if (!f.rfc) return missingForIfMatch;
  f.deferredIfMatchFailure = true;
  return 'i7';
}

/** I7: PUT (to a missing resource)? */
export function i7(f: FlowState): Step {
  return f.method === 'PUT' ? 'i4' : 'k7';
}

/** I4: Moved permanently (for a PUT to a missing resource)? */
export function i4(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.movedPermanently()), (uri) => {
    if (uri === false) return 'p3';
    f.res.setHeader('Location', uri);
    // 301 lets clients turn the PUT into a GET; 308 forbids any method change (RFC 9110 15.4.9).
    return f.rfc ? 308 : 301;
  });
}

/** P3: Conflict (on PUT to a missing resource)? */
export async function p3(f: FlowState): Promise<Step> {
  if (f.deferredIfMatchFailure) return missingForIfMatch;
  if (await f.ask(f.resource.isConflict())) return 409;
  const accepted = await acceptHelper(f);
  if (accepted !== true) return accepted;
  // RFC 9110 9.3.4: a PUT that created the resource answers 201 (v3: only with a Location).
  f.createdByPut = f.rfc;
  return 'p11';
}

/** K7: Previously existed? */
export function k7(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.previouslyExisted()), (existed) => (existed ? 'k5' : 'l7'));
}

/** K5: Moved permanently? */
export function k5(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.movedPermanently()), (uri) => {
    if (uri === false) return 'l5';
    f.res.setHeader('Location', uri);
    return 301;
  });
}

/** L5: Moved temporarily? */
export function l5(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.movedTemporarily()), (uri) => {
    if (uri === false) return 'm5';
    f.res.setHeader('Location', uri);
    return 307;
  });
}

/** M5: POST (to a resource that previously existed)? */
export function m5(f: FlowState): Step {
  return f.method === 'POST' ? 'n5' : 410;
}

/** N5: Server allows POST to a missing resource (that previously existed)? */
export function n5(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.allowMissingPost()), (allowed) => {
    if (!allowed) return 410;
    return f.deferredIfMatchFailure ? missingForIfMatch : 'n11';
  });
}

/** L7: POST (to a missing resource)? */
export function l7(f: FlowState): Step {
  return f.method === 'POST' ? 'm7' : notFound(f);
}

/** M7: Server allows POST to a missing resource? */
export function m7(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.allowMissingPost()), (allowed) => {
    if (!allowed) return notFound(f);
    return f.deferredIfMatchFailure ? missingForIfMatch : 'n11';
  });
}
