import type { FlowState } from '../flow-state.js';
import { andThen, type Maybe } from '../maybe.js';
import { setValidators } from '../validators.js';
import { acceptHelper } from './accept-helper.js';
import type { Step } from './types.js';

/** Columns M to P on an existing resource: DELETE, POST, PUT/PATCH, and body generation. */

/** M16: DELETE? */
export function m16(f: FlowState): Step {
  return f.method === 'DELETE' ? 'm20' : 'n16';
}

/** M20: Delete enacted? */
export function m20(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.deleteResource()), (enacted) => {
    if (enacted) return 'm20b';
    throw new Error('delete_resource answered false');
  });
}

/** M20B: Delete completed (or only accepted: 202)? */
export function m20b(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.deleteCompleted()), (completed) => (completed ? 'o20' : 202));
}

/** N16: POST? */
export function n16(f: FlowState): Step {
  return f.method === 'POST' ? 'n11' : 'o16';
}

function joinPath(base: string, child: string): string {
  if (child.startsWith('/')) return child;
  return `${base.replace(/\/+$/, '')}/${child}`;
}

/** N11: Redirect (after a POST)? */
export async function n11(f: FlowState): Promise<Step> {
  if (await f.ask(f.resource.postIsCreate())) {
    const path = await f.ask(f.resource.createPath());
    if (typeof path !== 'string') throw new Error('post_is_create is true but create_path gave no path');
    const base = ((await f.ask(f.resource.baseUri())) ?? f.req.url.origin).replace(/\/+$/, '');
    if (!f.res.hasHeader('location')) f.res.setHeader('Location', base + joinPath(f.req.path, path));
    const accepted = await acceptHelper(f);
    if (accepted !== true) return accepted;
  } else if ((await f.ask(f.resource.processPost())) !== true) {
    throw new Error('process_post did not answer true');
  }
  if (!f.res.redirect) return 'p11';
  if (!f.res.hasHeader('location')) throw new Error('a redirect was requested without a Location');
  return 303;
}

/** O16: PUT? */
export function o16(f: FlowState): Step {
  if (f.method === 'PUT') return 'o14';
  // RFC 5789: PATCH modifies an existing resource exactly where PUT would.
  if (f.rfc && f.method === 'PATCH') return 'o14';
  return 'o18';
}

/** O14: Conflict (on PUT to an existing resource)? */
export async function o14(f: FlowState): Promise<Step> {
  if (await f.ask(f.resource.isConflict())) return 409;
  const accepted = await acceptHelper(f);
  return accepted === true ? 'p11' : accepted;
}

/** O18: Multiple representations? */
export function o18(f: FlowState): Maybe<Step> {
  if (!f.isGetOrHead) return 'o18b';
  return andThen(setValidators(f, false), () =>
    andThen(f.provided(), (provided) => {
      const { mediaType } = f.resource.chosen;
      const entry = provided.find(([type]) => type === mediaType);
      if (entry === undefined) throw new Error(`no producer for ${String(mediaType)}`);
      return andThen(f.ask(entry[1]()), (body) => {
        if (body !== undefined) f.res.body = body;
        return 'o18b';
      });
    }),
  );
}

/** O18b: Multiple choices? (after the body for GET/HEAD was built in O18) */
export function o18b(f: FlowState): Maybe<Step> {
  return andThen(f.ask(f.resource.multipleChoices()), (multiple) => (multiple ? 300 : 200));
}

/** O20: Response includes an entity? */
export function o20(f: FlowState): Step {
  return f.res.body !== undefined ? 'o18' : 204;
}

/** P11: New resource (Location set)? */
export function p11(f: FlowState): Step {
  if (f.res.hasHeader('location') || f.createdByPut) return 201;
  return 'o20';
}
