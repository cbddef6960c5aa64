/** The domain's one door to ref changes: applyRefUpdates (all-or-nothing CAS + event). */
import { applyRefUpdates } from '../refs/ref-update.js';
import type { ServiceDeps } from './deps.js';
import type { RepoContext } from './repo-context.js';
import type { Oid, WriteOptions } from './types.js';

export function swapRef(deps: ServiceDeps, ctx: RepoContext, ref: string, old: Oid | null, next: Oid | null, options: WriteOptions): Promise<boolean> {
  return applyRefUpdates(ctx.store, [{ ref, old, new: next }], { actor: options.actor ?? 'anonymous', via: 'rest', events: deps.events });
}
