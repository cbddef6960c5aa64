/**
 * The single place where refs move, for REST and git alike: one all-or-nothing compare-and-swap
 * of the refs' files (loose files for a few refs, packed-refs for many, as git's ref transactions
 * and pack-refs do) together with the repository's event log, so an event exists exactly when its
 * ref moved.
 */
import type { RepoStore, SwapOp } from '../../../fs-service/index.js';
import { isOid, type Oid } from '../object.js';
import { appendOps, parseSeq, prune, SEQ_PATH } from './event-log.js';
import { isValidRefName } from './ref-name.js';
import { listLooseRefs, PACKED_REFS_PATH, packedRefBelow, packedRefsWith, packedValue, parsePackedRefs, parseRef, refFile, refValue } from './ref-store.js';

/** One requested ref change; `old`/`new` null mean "absent" (create / delete). */
export interface RefUpdate {
  ref: string;
  old: Oid | null;
  new: Oid | null;
}

/** What every front end publishes after a ref moved durably (the WebSocket fans it out). */
export interface RefUpdatedEvent {
  repo: string;
  ref: string;
  old: Oid | null;
  new: Oid | null;
  actor: string;
  via: 'rest' | 'git';
  at: string;
  /** Position in the repository's event log (1, 2, ...), the same on every front end. */
  seq?: number;
  /** Why the ref moved, when more than a write: a merge made through the API. */
  cause?: 'merge';
}

export interface RefEventSink {
  publish(event: RefUpdatedEvent): void;
}

export interface RefUpdateContext {
  actor: string;
  via: 'rest' | 'git';
  events: RefEventSink;
  cause?: 'merge';
}

/**
 * What applyRefUpdates answers. `stale`: a ref no longer had its expected old value. `name-conflict`:
 * a ref would be a folder of another ref or the reverse ("refs/heads/a" and "refs/heads/a/b"),
 * which loose refs cannot hold, as git refuses them.
 */
export type RefUpdateResult =
  | { ok: true }
  | { ok: false; reason: 'stale' }
  | { ok: false; reason: 'name-conflict'; ref: string; conflictsWith: string };

const STALE: RefUpdateResult = { ok: false, reason: 'stale' };
const MAX_LOG_RACES = 100;

function content(oid: Oid | null): Buffer | null {
  return oid === null ? null : Buffer.from(`${oid}\n`);
}

function assertWellFormed(update: RefUpdate): void {
  if (!isValidRefName(update.ref)) throw new Error(`invalid ref name: ${update.ref}`);
  for (const oid of [update.old, update.new]) {
    if (oid !== null && !isOid(oid)) throw new Error(`invalid object id for ${update.ref}: ${oid}`);
  }
}

/** From this many refs in one update on, they are written into packed-refs (see applyRefUpdates). */
export const BULK_REFS = 16;

/** What one attempt swaps for the refs themselves, or why it cannot. */
type RefPlan = { ops: SwapOp[] } | RefUpdateResult;

/**
 * Moves every ref from its `old` to its `new` value, or none: judged against the refs as read
 * (a loose file, else packed-refs), then one compare-and-swap of the files as read, together
 * with the event log's counter, which every ref change swaps: so changes are serialized, and a
 * ref cannot move between our read and our swap. A few refs are written as loose files (which
 * win over packed-refs); a ref that lives only in packed-refs is deleted by rewriting
 * packed-refs without it. Many refs at once (BULK_REFS or more: a mirror push, thousands of
 * tags) are written into packed-refs, with every loose ref folded in as git's pack-refs does,
 * so the swap is a handful of files whatever the number of refs. Nothing moves (and no event is
 * published) unless everything does.
 */
export async function applyRefUpdates(store: RepoStore, updates: RefUpdate[], ctx: RefUpdateContext): Promise<RefUpdateResult> {
  if (updates.length === 0) return { ok: true };
  updates.forEach(assertWellFormed);
  const inBatch = conflictInBatch(updates);
  if (inBatch !== null) return inBatch;
  const paths = updates.map((u) => refFile(u.ref));
  let foldersCleared = false;
  // The event log's counter is part of the swap; when only the counter moved (another ref of
  // this repository changed meanwhile) the refs are still as expected and we try again.
  for (let attempt = 0; attempt < MAX_LOG_RACES; attempt++) {
    const [seqData, packedData, ...loose] = await store.readMany([SEQ_PATH, PACKED_REFS_PATH, ...paths]);
    const packed = packedData ?? null;
    if (updates.some((u, i) => refValue(u.ref, loose[i] ?? null, packed) !== u.old)) return STALE;
    const plan = updates.length >= BULK_REFS ? await packedPlan(store, updates, loose, packed) : loosePlan(updates, loose, packed);
    if (!('ops' in plan)) return plan;
    const seq = parseSeq(seqData);
    const at = new Date().toISOString();
    const events: RefUpdatedEvent[] = updates.map((u) => ({ repo: store.name, ref: u.ref, old: u.old, new: u.new, actor: ctx.actor, via: ctx.via, at, ...(ctx.cause === undefined ? {} : { cause: ctx.cause }) }));
    let swapped: boolean;
    try {
      swapped = await store.compareAndSwap([...plan.ops, ...appendOps(seqData ?? null, seq, events)]);
    } catch (err) {
      // Storage refuses, before changing anything, a file where a folder is or below a file.
      if (!isFolderClash(err)) throw err;
      const conflict = await nameConflict(store, updates);
      if (conflict !== null) return conflict;
      // No ref there: a folder left empty by deleted refs, which git would remove too. Once.
      if (foldersCleared) return STALE;
      foldersCleared = true;
      await Promise.all(updates.filter((u) => u.new !== null).map((u) => removeEmptyFolder(store, refFile(u.ref))));
      continue;
    }
    if (swapped) {
      events.forEach((event, i) => ctx.events.publish({ ...event, seq: seq + 1 + i }));
      await prune(store, seq + events.length, events.length);
      if (Math.floor(seq / PACK_EVERY) !== Math.floor((seq + events.length) / PACK_EVERY) && updates.length < BULK_REFS) await packLooseRefs(store);
      return { ok: true };
    }
  }
  throw new Error(`event log of ${store.name} stayed contended for ${MAX_LOG_RACES} attempts`);
}

/** Every this many ref changes, loose refs are folded into packed-refs (git's gc --auto packs refs too). */
const PACK_EVERY = 256;

/**
 * Folds every loose ref into packed-refs, changing no ref: what keeps the loose refs few when they
 * are created one at a time (REST), so a listing reads one file and a few. Swapped with the event
 * log's counter unchanged, so no ref moves in between; best effort: a lost race or a refusal
 * leaves the loose refs as they are, for the next time.
 */
async function packLooseRefs(store: RepoStore): Promise<void> {
  try {
    const [seqData, packedData] = await store.readMany([SEQ_PATH, PACKED_REFS_PATH]);
    const plan = await packedPlan(store, [], [], packedData ?? null);
    if (!('ops' in plan) || plan.ops.length < 2) return;
    await store.compareAndSwap([...plan.ops, { path: SEQ_PATH, expected: seqData ?? null, next: seqData ?? null }]);
  } catch {
    // Storage refusing for now: the loose refs stay, and are still read.
  }
}

/** A few refs: loose files (storage refuses one where a folder of refs is); packed-refs rewritten only to delete a ref packed there. */
function loosePlan(updates: RefUpdate[], loose: (Buffer | null | undefined)[], packed: Buffer | null): RefPlan {
  // Loose files cannot see a clash with a ref that lives only in packed-refs.
  for (const u of updates) {
    const clash = u.new === null ? null : packedClash(u.ref, packed);
    if (clash !== null) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: clash };
  }
  const ops: SwapOp[] = updates.map((u, i) => ({ path: refFile(u.ref), expected: loose[i] ?? null, next: content(u.new) }));
  const unpacked = new Map(updates.filter((u) => u.new === null && packed !== null && packedValue(packed, u.ref) !== null).map((u) => [u.ref, null]));
  if (unpacked.size > 0) ops.push({ path: PACKED_REFS_PATH, expected: packed, next: packedRefsWith(packed, unpacked) });
  return { ops };
}

/**
 * Many refs: one new packed-refs holding them and every loose ref, whose files go (each swapped
 * from the bytes read, so a loose ref that moved meanwhile fails the swap). Name clashes are
 * judged here, over every ref there will be, as storage sees no files for them.
 */
async function packedPlan(store: RepoStore, updates: RefUpdate[], loose: (Buffer | null | undefined)[], packed: Buffer | null): Promise<RefPlan> {
  const listed = await listLooseRefs(store);
  const touched = new Map(updates.map((u, i) => [u.ref, { next: u.new, file: loose[i] ?? null }]));
  const changes = new Map<string, Oid | null>();
  const ops: SwapOp[] = [];
  for (const [ref, bytes] of listed.loose) {
    const oid = parseRef(bytes);
    // A file that is no ref is left alone (readers skip it too); a touched ref goes below.
    if (oid === null || touched.has(ref)) continue;
    changes.set(ref, oid);
    ops.push({ path: refFile(ref), expected: bytes, next: null });
  }
  for (const [ref, { next, file }] of touched) {
    changes.set(ref, next);
    if (file !== null) ops.push({ path: refFile(ref), expected: file, next: null });
  }
  const next = packedRefsWith(packed, changes);
  const clash = firstClash(updates, parsePackedRefs(next));
  if (clash !== null) return clash;
  ops.push({ path: PACKED_REFS_PATH, expected: packed, next });
  return { ops };
}

/** A created ref that would be a folder of another ref there will be, or live in one. */
function firstClash(updates: RefUpdate[], after: ReadonlyMap<string, Oid>): RefUpdateResult | null {
  const below = new Map<string, string>();
  for (const name of after.keys()) for (const folder of foldersOf(name)) if (!below.has(folder)) below.set(folder, name);
  for (const u of updates) {
    if (u.new === null) continue;
    const above = foldersOf(u.ref).find((f) => after.has(f));
    const clash = above ?? below.get(u.ref);
    if (clash !== undefined) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: clash };
  }
  return null;
}

/** Removes a folder holding nothing but empty folders (best effort: a ref created meanwhile stays). */
async function removeEmptyFolder(store: RepoStore, path: string): Promise<void> {
  let names: string[];
  try {
    names = await store.fs.promises.readdir(path);
  } catch {
    return;
  }
  await Promise.all(names.map((name) => removeEmptyFolder(store, `${path}/${name}`)));
  await store.fs.promises.rmdir(path).catch(() => undefined);
}

function isFolderClash(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return code === 'ENOTDIR' || code === 'EISDIR';
}

/** Two refs of one batch where one would be the other's folder. */
function conflictInBatch(updates: RefUpdate[]): RefUpdateResult | null {
  const names = new Set(updates.map((u) => u.ref));
  for (const u of updates) {
    for (const above of foldersOf(u.ref)) {
      if (names.has(above)) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: above };
    }
  }
  return null;
}

/** "refs/heads/a/b/c" -> "refs/heads/a", "refs/heads/a/b": the names that would be its folders. */
function foldersOf(ref: string): string[] {
  const parts = ref.split('/');
  const out: string[] = [];
  for (let n = 3; n < parts.length; n++) out.push(parts.slice(0, n).join('/'));
  return out;
}

/** A packed ref that `ref` would be a folder of (or the first one below it). */
function packedClash(ref: string, packed: Buffer | null): string | null {
  if (packed === null) return null;
  return foldersOf(ref).find((f) => packedValue(packed, f) !== null) ?? packedRefBelow(packed, ref);
}

/**
 * Which existing ref a created ref clashes with: a ref that would be its folder, or the first
 * ref found below it. Only asked after storage refused, so the common path pays nothing. Null
 * when the clash is gone by now (a concurrent delete); the caller then reports a stale update.
 */
async function nameConflict(store: RepoStore, updates: RefUpdate[]): Promise<RefUpdateResult | null> {
  for (const u of updates) {
    if (u.new === null) continue;
    const folders = foldersOf(u.ref);
    const found = await store.readMany(folders.map(refFile));
    const at = found.findIndex((b) => b !== null);
    if (at >= 0) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: folders[at] as string };
    const below = await firstRefBelow(store, u.ref);
    if (below !== null) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: below };
  }
  return null;
}

/**
 * What applyRefUpdates would answer for each update on its own, judged from the refs as they are
 * now, at the cost of one batched read plus one listing per distinct parent folder of the refs
 * being written. A push asks this before it stores its pack, so that a push none of whose
 * commands can succeed stores nothing; the swap itself still decides (refs may move in between).
 */
export async function precheckRefUpdates(store: RepoStore, updates: readonly RefUpdate[]): Promise<RefUpdateResult[]> {
  const written = updates.filter((u) => u.new !== null);
  const folders = [...new Set(written.flatMap((u) => foldersOf(u.ref)))];
  const [packedData, ...values] = await store.readMany([PACKED_REFS_PATH, ...updates.map((u) => refFile(u.ref)), ...folders.map(refFile)]);
  const packed = packedData ?? null;
  const current = new Map(updates.map((u, i) => [u.ref, refValue(u.ref, values[i] ?? null, packed)]));
  const fileRefs = new Set(folders.filter((_, i) => values[updates.length + i] !== null));
  const parents = [...new Set(written.map((u) => u.ref.slice(0, u.ref.lastIndexOf('/'))))];
  const listings = await Promise.all(parents.map((dir) => store.fs.promises.readdir(refFile(dir)).catch(() => [] as string[])));
  const listed = new Map(parents.map((dir, i) => [dir, new Set(listings[i])]));
  return Promise.all(
    updates.map(async (u): Promise<RefUpdateResult> => {
      if (current.get(u.ref) !== u.old) return STALE;
      if (u.new === null) return { ok: true };
      const above = foldersOf(u.ref).find((f) => fileRefs.has(f));
      if (above !== undefined) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: above };
      const inPacked = packedClash(u.ref, packed);
      if (inPacked !== null) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: inPacked };
      const cut = u.ref.lastIndexOf('/');
      // Listed by its parent but no file: a folder of other refs.
      if (u.old === null && listed.get(u.ref.slice(0, cut))?.has(u.ref.slice(cut + 1)) === true) {
        const below = await firstRefBelow(store, u.ref);
        if (below !== null) return { ok: false, reason: 'name-conflict', ref: u.ref, conflictsWith: below };
      }
      return { ok: true };
    }),
  );
}

async function firstRefBelow(store: RepoStore, ref: string): Promise<string | null> {
  let names: string[];
  try {
    names = await store.fs.promises.readdir(refFile(ref));
  } catch {
    return null;
  }
  for (const name of [...names].sort()) {
    const child = `${ref}/${name}`;
    const [bytes] = await store.readMany([refFile(child)]);
    if (bytes !== null && bytes !== undefined) return child;
    const deeper = await firstRefBelow(store, child);
    if (deeper !== null) return deeper;
  }
  return null;
}
