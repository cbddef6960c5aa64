import type { RepoStore, SwapOp } from '../../fs-service/index.js';
import { appendOps, parseSeq, prune, SEQ_PATH } from '../events/event-log.js';
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
  /** Position in the repository's event log (1, 2, ...), the same on every front end. */
  seq?: number;
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
  const refOps: SwapOp[] = updates.map((u) => ({ path: refFile(u.ref), expected: content(u.old), next: content(u.new) }));
  // The event log's counter is part of the swap; when only the counter moved (another ref of
  // this repository changed meanwhile) the refs are still as expected and we try again.
  for (let attempt = 0; attempt < MAX_LOG_RACES; attempt++) {
    const [seqData] = await store.readMany([SEQ_PATH]);
    const seq = parseSeq(seqData);
    const at = new Date().toISOString();
    const events: RefUpdatedEvent[] = updates.map((u) => ({ repo: store.name, ref: u.ref, old: u.old, new: u.new, actor: ctx.actor, via: ctx.via, at }));
    if (await store.compareAndSwap([...refOps, ...appendOps(seqData ?? null, seq, events)])) {
      events.forEach((event, i) => ctx.events.publish({ ...event, seq: seq + 1 + i }));
      await prune(store, seq + events.length, events.length);
      return true;
    }
    const current = await store.readMany(refOps.map((op) => op.path));
    const refsUnchanged = refOps.every((op, i) => sameContent(current[i] ?? null, op.expected));
    if (!refsUnchanged) return false;
  }
  throw new Error(`event log of ${store.name} stayed contended for ${MAX_LOG_RACES} attempts`);
}

const MAX_LOG_RACES = 100;

function sameContent(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

/** Current value of a loose ref, or null when absent. Refs are never cached (never stale). */
export async function readRef(store: RepoStore, ref: string): Promise<string | null> {
  const [data] = await store.readMany([refFile(ref)]);
  return parseRef(data ?? null);
}

/** A loose ref file's content as an object id; null for absent or not an id. */
export function parseRef(data: Buffer | null): string | null {
  if (data === null) return null;
  const oid = data.toString('utf8').trim();
  return OID.test(oid) ? oid : null;
}
