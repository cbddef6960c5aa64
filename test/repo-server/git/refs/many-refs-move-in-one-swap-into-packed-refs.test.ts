/**
 * Refs in bulk, on every storage backend the git suites use (memory, embedded, shard cluster):
 * an update of many refs writes them into packed-refs in one compare-and-swap, folding the loose
 * refs in as git's pack-refs does; a loose ref still wins over its packed value; deleting a
 * packed ref rewrites packed-refs; name clashes and stale expectations move nothing; concurrent
 * bulk and single updates each land exactly once; thousands of events are a handful of files and
 * read back whole from any position.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoStore, Storage } from '../../../../fs-service/index.js';
import { applyRefUpdates, BULK_REFS, type RefUpdate, type RefUpdatedEvent } from '../../../../repo-server/git/refs/ref-update.js';
import { listRefs, PACKED_REFS_PATH, readRef, readRefSnapshot } from '../../../../repo-server/git/refs/ref-store.js';
import { BACKLOG, EVENTS_PER_FILE, readEventsAfter, readSeq } from '../../../../repo-server/git/refs/event-log.js';
import { STORAGES } from '../../git-http/helpers/storages.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

function ctx(published: RefUpdatedEvent[] = []) {
  return { actor: 't', via: 'rest' as const, events: { publish: (e: RefUpdatedEvent) => published.push(e) } };
}

function creates(prefix: string, n: number, oid = A): RefUpdate[] {
  return Array.from({ length: n }, (_, i) => ({ ref: `${prefix}${i}`, old: null, new: oid }));
}

async function looseFile(store: RepoStore, ref: string): Promise<Buffer | null> {
  const [bytes] = await store.readMany([`/${ref}`]);
  return bytes ?? null;
}

async function packedText(store: RepoStore): Promise<string> {
  const [bytes] = await store.readMany([PACKED_REFS_PATH]);
  return bytes?.toString('utf8') ?? '';
}

describe.each(STORAGES)('refs in bulk on $name storage', (factory) => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let n = 0;
  const fresh = (): RepoStore => storage.repo(`bulk-${factory.name}-${++n}`);

  beforeAll(async () => {
    ({ storage, dispose } = await factory.create());
  }, 120_000);
  afterAll(async () => dispose());

  it('a bulk update lands in packed-refs, sorted, with no loose file; loose refs are folded in', async () => {
    const store = fresh();
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/main', old: null, new: B }], ctx())).ok).toBe(true);
    expect((await looseFile(store, 'refs/heads/main'))?.toString()).toBe(`${B}\n`);
    const published: RefUpdatedEvent[] = [];
    expect((await applyRefUpdates(store, creates('refs/tags/v', 500), ctx(published))).ok).toBe(true);
    expect(published.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
    const text = await packedText(store);
    const names = text.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => l.slice(41));
    expect(names).toHaveLength(501);
    expect(names).toEqual([...names].sort());
    expect(text).toContain(`${B} refs/heads/main\n`);
    expect(await looseFile(store, 'refs/heads/main')).toBeNull();
    expect(await looseFile(store, 'refs/tags/v7')).toBeNull();
    expect(await readRef(store, 'refs/tags/v499')).toBe(A);
    const { refs } = await listRefs(store);
    expect(refs.size).toBe(501);
  });

  it('a loose ref wins over its packed value, everywhere refs are read', async () => {
    const store = fresh();
    expect((await applyRefUpdates(store, creates('refs/heads/b', BULK_REFS), ctx())).ok).toBe(true);
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/b3', old: A, new: C }], ctx())).ok).toBe(true);
    expect((await looseFile(store, 'refs/heads/b3'))?.toString()).toBe(`${C}\n`);
    expect(await packedText(store)).toContain(`${A} refs/heads/b3\n`);
    expect(await readRef(store, 'refs/heads/b3')).toBe(C);
    expect((await listRefs(store, 'refs/heads/')).refs.get('refs/heads/b3')).toBe(C);
    expect((await readRefSnapshot(store)).refs.get('refs/heads/b3')).toBe(C);
    // The packed value is no expectation any more: the loose one is.
    expect(await applyRefUpdates(store, [{ ref: 'refs/heads/b3', old: A, new: B }], ctx())).toEqual({ ok: false, reason: 'stale' });
  });

  it('deleting a packed ref rewrites packed-refs without it; deleting a ref both loose and packed removes both', async () => {
    const store = fresh();
    expect((await applyRefUpdates(store, creates('refs/heads/b', BULK_REFS), ctx())).ok).toBe(true);
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/b1', old: A, new: null }], ctx())).ok).toBe(true);
    expect(await packedText(store)).not.toContain('refs/heads/b1\n');
    expect(await readRef(store, 'refs/heads/b1')).toBeNull();
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/b2', old: A, new: C }], ctx())).ok).toBe(true);
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/b2', old: C, new: null }], ctx())).ok).toBe(true);
    expect(await readRef(store, 'refs/heads/b2')).toBeNull();
    expect(await looseFile(store, 'refs/heads/b2')).toBeNull();
    expect(await packedText(store)).not.toContain('refs/heads/b2\n');
    // In bulk too: every ref deleted leaves no packed-refs at all.
    const rest = (await listRefs(store)).refs;
    expect((await applyRefUpdates(store, [...rest].map(([ref, oid]) => ({ ref, old: oid, new: null })), ctx())).ok).toBe(true);
    expect((await listRefs(store)).refs.size).toBe(0);
    expect(await packedText(store)).toBe('');
  });

  it('a bulk update with one stale expectation or one name clash moves nothing', async () => {
    const store = fresh();
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/topic/x', old: null, new: A }], ctx())).ok).toBe(true);
    const stale = [...creates('refs/heads/s', BULK_REFS), { ref: 'refs/heads/topic/x', old: B, new: C }];
    expect(await applyRefUpdates(store, stale, ctx())).toEqual({ ok: false, reason: 'stale' });
    const clash = [...creates('refs/heads/c', BULK_REFS), { ref: 'refs/heads/topic', old: null, new: A }];
    expect(await applyRefUpdates(store, clash, ctx())).toEqual({ ok: false, reason: 'name-conflict', ref: 'refs/heads/topic', conflictsWith: 'refs/heads/topic/x' });
    expect([...(await listRefs(store)).refs.keys()]).toEqual(['refs/heads/topic/x']);
    expect(await readSeq(store)).toBe(1);
    // Now packed: a loose create below or above a packed ref is refused as well.
    expect((await applyRefUpdates(store, creates('refs/heads/p', BULK_REFS), ctx())).ok).toBe(true);
    expect(await applyRefUpdates(store, [{ ref: 'refs/heads/p1/deeper', old: null, new: A }], ctx())).toEqual({ ok: false, reason: 'name-conflict', ref: 'refs/heads/p1/deeper', conflictsWith: 'refs/heads/p1' });
    expect(await applyRefUpdates(store, [{ ref: 'refs/heads/topic', old: null, new: A }], ctx())).toEqual({ ok: false, reason: 'name-conflict', ref: 'refs/heads/topic', conflictsWith: 'refs/heads/topic/x' });
  });

  it('a folder left empty by refs folded into packed-refs does not block a loose ref of that name', async () => {
    const store = fresh();
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/gone/x', old: null, new: A }], ctx())).ok).toBe(true);
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/gone/x', old: A, new: null }, ...creates('refs/heads/k', BULK_REFS)], ctx())).ok).toBe(true);
    expect((await applyRefUpdates(store, [{ ref: 'refs/heads/gone', old: null, new: B }], ctx())).ok).toBe(true);
    expect(await readRef(store, 'refs/heads/gone')).toBe(B);
  });

  it('refs created one at a time are folded into packed-refs now and then, so loose refs stay few', { timeout: 120_000 }, async () => {
    const store = fresh();
    for (let i = 0; i < 300; i++) expect((await applyRefUpdates(store, [{ ref: `refs/heads/one/${i}`, old: null, new: i % 2 === 0 ? A : B }], ctx())).ok).toBe(true);
    const loose = await store.fs.promises.readdir('/refs/heads/one');
    const stillLoose = (await store.readMany(loose.map((n) => `/refs/heads/one/${n}`))).filter((b) => b !== null).length;
    expect(stillLoose).toBe(300 - 256);
    const { refs } = await listRefs(store);
    expect(refs.size).toBe(300);
    expect(refs.get('refs/heads/one/7')).toBe(B);
    expect(refs.get('refs/heads/one/299')).toBe(B);
    expect(await readRef(store, 'refs/heads/one/100')).toBe(A);
    // Folding moved no ref: no event for it.
    expect(await readSeq(store)).toBe(300);
  });

  it('concurrent bulk and single updates from the same old values: each ref moves once, every event is logged once', async () => {
    const store = fresh();
    expect((await applyRefUpdates(store, creates('refs/heads/r', 40), ctx())).ok).toBe(true);
    const published: RefUpdatedEvent[] = [];
    const bulkTo = (oid: string) => applyRefUpdates(store, Array.from({ length: 40 }, (_, i) => ({ ref: `refs/heads/r${i}`, old: A, new: oid })), ctx(published));
    const single = (i: number) => applyRefUpdates(store, [{ ref: `refs/heads/r${i}`, old: A, new: C }], ctx(published));
    const results = await Promise.all([bulkTo(B), single(3), bulkTo(C), single(17), applyRefUpdates(store, creates('refs/tags/t', 30), ctx(published))]);
    // The tags never clash with anything; of the rest, whoever swapped first wins its refs.
    expect(results[4]?.ok).toBe(true);
    const refs = (await listRefs(store)).refs;
    expect([...refs.keys()].filter((r) => r.startsWith('refs/tags/'))).toHaveLength(30);
    const winners = results.slice(0, 4).filter((r) => r.ok).length;
    expect(winners).toBeGreaterThanOrEqual(1);
    const moved = [...refs].filter(([r, oid]) => r.startsWith('refs/heads/') && oid !== A).length;
    const bulkWon = results[0]?.ok === true || results[2]?.ok === true;
    expect(moved).toBe(bulkWon ? 40 : winners);
    const seq = await readSeq(store);
    expect(seq).toBe(40 + published.length);
    const logged = await readEventsAfter<RefUpdatedEvent>(store, 40, seq);
    expect(logged.map((e) => e.seq)).toEqual(Array.from({ length: published.length }, (_, i) => 41 + i));
  });

  it('two thousand events are a handful of files, read back from any position, and pruned beyond the backlog', async () => {
    const store = fresh();
    expect((await applyRefUpdates(store, creates('refs/heads/e', 2000), ctx())).ok).toBe(true);
    const files = await store.fs.promises.readdir('/events/log');
    expect(files.length).toBeLessThanOrEqual(Math.ceil(2000 / EVENTS_PER_FILE));
    expect(await readSeq(store)).toBe(2000);
    // Only the backlog is kept; a reader from any position within it gets each event once, in order.
    const all = await readEventsAfter<RefUpdatedEvent>(store, 0, 2000);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: BACKLOG }, (_, i) => 2000 - BACKLOG + 1 + i));
    const middle = await readEventsAfter<RefUpdatedEvent>(store, 1500, 2000, 1600);
    expect(middle.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 1501 + i));
    expect(middle[0]?.ref).toBe('refs/heads/e1500');
    // Single events after it are files of their own; the big batch goes once it is all beyond the backlog.
    for (let i = 0; i < 3; i++) expect((await applyRefUpdates(store, [{ ref: `refs/heads/one${i}`, old: null, new: A }], ctx())).ok).toBe(true);
    expect((await readEventsAfter<RefUpdatedEvent>(store, 2001, 2003)).map((e) => e.ref)).toEqual(['refs/heads/one1', 'refs/heads/one2']);
    expect((await applyRefUpdates(store, creates('refs/tags/x', 1500), ctx())).ok).toBe(true);
    const kept = (await store.fs.promises.readdir('/events/log')).map((f) => Number(f.replace('.json', ''))).sort((a, b) => a - b);
    expect(kept[0]).toBeGreaterThan(3503 - BACKLOG);
    expect((await readEventsAfter<RefUpdatedEvent>(store, 0, 3503)).map((e) => e.seq)).toEqual(Array.from({ length: BACKLOG }, (_, i) => 3503 - BACKLOG + 1 + i));
  });
});
