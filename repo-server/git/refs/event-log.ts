import type { RepoStore, SwapOp } from '../../../fs-service/index.js';

/**
 * The per-repository event log, stored beside the git data (git ignores unknown files in a
 * gitdir): `/events/seq` holds the number of the last event, `/events/log/<n>.json` events up to
 * number n. Appending is part of the same all-or-nothing swap that moves the refs, so an event
 * exists if and only if its ref moved, numbered in the order the swaps happened, whichever front
 * end made them. Old entries are pruned; a reader asking for older ones is told the backlog is gone.
 *
 * One event is one file holding its object. A swap of many events (a push of thousands of refs)
 * writes them in files of up to EVENTS_PER_FILE events, each an array named after its last event:
 * a swap costs a handful of files, not one per ref, and a reader still finds every file that
 * holds an event of a range [from, to] by its name, within [from, last].
 */
export const SEQ_PATH = '/events/seq';
export const BACKLOG = 1000;
export const EVENTS_PER_FILE = 256;
const LOG_DIR = '/events/log';

export function eventPath(seq: number): string {
  return `${LOG_DIR}/${seq}.json`;
}

export function parseSeq(data: Buffer | null | undefined): number {
  if (data === null || data === undefined) return 0;
  const n = Number(data.toString('utf8').trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Swap ops that append `payloads` after `seq` (whose stored bytes were `seqData`). */
export function appendOps(seqData: Buffer | null, seq: number, payloads: object[]): SwapOp[] {
  const ops: SwapOp[] = [{ path: SEQ_PATH, expected: seqData, next: Buffer.from(String(seq + payloads.length)) }];
  const numbered = payloads.map((payload, i) => ({ ...payload, seq: seq + 1 + i }));
  if (numbered.length === 1) {
    ops.push({ path: eventPath(seq + 1), expected: null, next: Buffer.from(JSON.stringify(numbered[0])) });
    return ops;
  }
  for (let at = 0; at < numbered.length; at += EVENTS_PER_FILE) {
    const chunk = numbered.slice(at, at + EVENTS_PER_FILE);
    ops.push({ path: eventPath(seq + at + chunk.length), expected: null, next: Buffer.from(JSON.stringify(chunk)) });
  }
  return ops;
}

/** Past this many events in one append, pruning lists the log rather than trying every name. */
const PRUNE_BY_NAME = 16;
const PRUNE_AT_ONCE = 64;

/**
 * Best effort: files whose events are all beyond the backlog are removed after a successful
 * append. After a small append each name that just left the backlog is tried; after a large one
 * (a mirror push) the log folder is listed once and only the files that are there go, several at
 * a time, so it never costs a round trip per event.
 */
export async function prune(store: RepoStore, lastSeq: number, count: number): Promise<void> {
  const limit = lastSeq - BACKLOG;
  if (limit < 1) return;
  let old: number[] = [];
  if (count <= PRUNE_BY_NAME) {
    for (let seq = Math.max(1, limit - count + 1); seq <= limit; seq++) old.push(seq);
  } else {
    const names = await store.fs.promises.readdir(LOG_DIR).catch(() => [] as string[]);
    old = names.map((name) => /^(\d+)\.json$/.exec(name)?.[1]).filter((n): n is string => n !== undefined).map(Number).filter((n) => n <= limit);
  }
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

export async function readSeq(store: RepoStore): Promise<number> {
  const [data] = await store.readMany([SEQ_PATH]);
  return parseSeq(data);
}

/**
 * Events after `since` and up to `upTo` (default: all of them), oldest first, given `last`, the
 * log's last number as read: at most the backlog, entries already pruned are skipped. One batched
 * read of the names within [first wanted, last], where every file holding a wanted event is.
 */
export async function readEventsAfter<T>(store: RepoStore, since: number, last: number, upTo = last): Promise<T[]> {
  const from = Math.max(since + 1, last - BACKLOG + 1);
  const to = Math.min(upTo, last);
  if (from > to) return [];
  const seqs = Array.from({ length: last - from + 1 }, (_, i) => from + i);
  const datas = await store.readMany(seqs.map(eventPath));
  const out: T[] = [];
  for (const data of datas) {
    if (data === null || data === undefined) continue;
    const parsed = JSON.parse(data.toString('utf8')) as unknown;
    for (const event of Array.isArray(parsed) ? parsed : [parsed]) {
      const seq = (event as { seq?: unknown }).seq;
      if (typeof seq === 'number' && seq >= from && seq <= to) out.push(event as T);
    }
  }
  return out;
}
