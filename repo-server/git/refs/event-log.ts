import type { RepoStore, SwapOp } from '../../../fs-service/index.js';

/**
 * The per-repository event log, stored beside the git data (git ignores unknown files in a
 * gitdir): `/events/seq` holds the number of the last event, `/events/log/<n>.json` each event.
 * Appending is part of the same all-or-nothing swap that moves the refs, so an event exists if
 * and only if its ref moved, numbered in the order the swaps happened, whichever front end made
 * them. Old entries are pruned; a reader asking for older ones is told the backlog is gone.
 */
export const SEQ_PATH = '/events/seq';
export const BACKLOG = 1000;

export function eventPath(seq: number): string {
  return `/events/log/${seq}.json`;
}

export function parseSeq(data: Buffer | null | undefined): number {
  if (data === null || data === undefined) return 0;
  const n = Number(data.toString('utf8').trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Swap ops that append `payloads` after `seq` (whose stored bytes were `seqData`). */
export function appendOps(seqData: Buffer | null, seq: number, payloads: object[]): SwapOp[] {
  const ops: SwapOp[] = [{ path: SEQ_PATH, expected: seqData, next: Buffer.from(String(seq + payloads.length)) }];
  payloads.forEach((payload, i) => {
    ops.push({ path: eventPath(seq + 1 + i), expected: null, next: Buffer.from(JSON.stringify({ ...payload, seq: seq + 1 + i })) });
  });
  return ops;
}

/**
 * Best effort: entries beyond the backlog are removed after a successful append, several at a
 * time (an append of thousands of events, a mirror push, must not cost thousands of round trips
 * one after another).
 */
export async function prune(store: RepoStore, lastSeq: number, count: number): Promise<void> {
  const old: number[] = [];
  for (let seq = Math.max(1, lastSeq - count + 1); seq <= lastSeq; seq++) if (seq - BACKLOG >= 1) old.push(seq - BACKLOG);
  for (let at = 0; at < old.length; at += PRUNE_AT_ONCE) {
    await Promise.all(
      old.slice(at, at + PRUNE_AT_ONCE).map((seq) =>
        store.fs.promises.unlink(eventPath(seq)).catch(() => {
          // Already gone, or a transient failure: a later append prunes again.
        }),
      ),
    );
  }
}

const PRUNE_AT_ONCE = 64;

export async function readSeq(store: RepoStore): Promise<number> {
  const [data] = await store.readMany([SEQ_PATH]);
  return parseSeq(data);
}

/** Events after `since`, oldest first (at most `max`); entries already pruned are skipped. */
export async function readEventsAfter<T>(store: RepoStore, since: number, last: number, max = BACKLOG): Promise<T[]> {
  const from = Math.max(since + 1, last - max + 1);
  if (from > last) return [];
  const seqs = Array.from({ length: last - from + 1 }, (_, i) => from + i);
  const datas = await store.readMany(seqs.map(eventPath));
  return datas.filter((d): d is Buffer => d !== null && d !== undefined).map((d) => JSON.parse(d.toString('utf8')) as T);
}
