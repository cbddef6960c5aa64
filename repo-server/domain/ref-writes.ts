/** The domain's one door to ref changes: applyRefUpdates (all-or-nothing CAS + event). */
import { applyRefUpdates } from '../git/index.js';
import type { ServiceDeps } from './deps.js';
import type { RepoContext } from './repo-context.js';
import type { Oid, RefNameConflict, WriteOptions } from './types.js';

/** `stale`: the ref no longer had the value `old`; nothing moved. */
export type Swap = { ok: true } | { ok: false; reason: 'stale' } | RefNameConflict;

/** `cause` marks the event of a merge, so listeners (webhooks) can tell it from a plain write. */
export async function swapRef(deps: ServiceDeps, ctx: RepoContext, ref: string, old: Oid | null, next: Oid | null, options: WriteOptions, cause?: 'merge'): Promise<Swap> {
  const result = await applyRefUpdates(ctx.store, [{ ref, old, new: next }], { actor: options.actor ?? 'anonymous', via: 'rest', events: deps.events, ...(cause === undefined ? {} : { cause }) });
  if (result.ok || result.reason === 'stale') return result;
  const short = (name: string): string => name.replace(/^refs\/(heads|tags)\//, '');
  return {
    ok: false,
    reason: 'ref-name-conflict',
    ref: result.ref,
    conflictsWith: result.conflictsWith,
    detail: `"${short(result.ref)}" cannot exist beside "${short(result.conflictsWith)}": one name would be a folder of the other`,
  };
}
