import type { RepoStore, SwapOp } from '../../fs-service/index.js';
import { isValidRefName } from './ref-name.js';

/** One requested ref change; `old`/`new` null mean "absent" (create / delete). */
export interface RefUpdate {
  ref: string;
  old: string | null;
  new: string | null;
}

/** What every front end publishes after a ref moved durably (the WebSocket issue fans it out). */
export interface RefUpdatedEvent {
  repo: string;
  ref: string;
  old: string | null;
  new: string | null;
  actor: string;
  via: 'rest' | 'git';
  at: string;
}

export interface RefEventSink {
  publish(event: RefUpdatedEvent): void;
}

export interface RefUpdateContext {
  actor: string;
  via: 'rest' | 'git';
  events: RefEventSink;
}

const OID = /^[0-9a-f]{40}$/;

function refFile(ref: string): string {
  return `/${ref}`;
}

function content(oid: string | null): Buffer | null {
  return oid === null ? null : Buffer.from(`${oid}\n`);
}

function assertWellFormed(update: RefUpdate): void {
  if (!isValidRefName(update.ref)) throw new Error(`invalid ref name: ${update.ref}`);
  for (const oid of [update.old, update.new]) {
    if (oid !== null && !OID.test(oid)) throw new Error(`invalid object id for ${update.ref}: ${oid}`);
  }
}

/**
 * The single place where refs move, for REST and git alike: an all-or-nothing compare-and-swap
 * against the old values the caller saw, then one event per moved ref. Returns false (nothing
 * moved, no event) when any ref no longer has its expected old value.
 */
export async function applyRefUpdates(
  store: RepoStore,
  updates: RefUpdate[],
  ctx: RefUpdateContext,
): Promise<boolean> {
  if (updates.length === 0) return true;
  updates.forEach(assertWellFormed);
  const ops: SwapOp[] = updates.map((u) => ({ path: refFile(u.ref), expected: content(u.old), next: content(u.new) }));
  const swapped = await store.compareAndSwap(ops);
  if (!swapped) return false;
  const at = new Date().toISOString();
  for (const u of updates) {
    ctx.events.publish({ repo: store.name, ref: u.ref, old: u.old, new: u.new, actor: ctx.actor, via: ctx.via, at });
  }
  return true;
}

/** Current value of a loose ref, or null when absent. Refs are never cached (never stale). */
export async function readRef(store: RepoStore, ref: string): Promise<string | null> {
  const [data] = await store.readMany([refFile(ref)]);
  if (data === null || data === undefined) return null;
  const oid = data.toString('utf8').trim();
  return OID.test(oid) ? oid : null;
}
