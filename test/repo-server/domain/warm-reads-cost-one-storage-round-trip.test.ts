/**
 * Over real shard processes: once a front end has a file's objects, reading it again costs at
 * most one storage round trip (metadata and ref in one batch; none while the primary's read lease
 * on them lasts), and every write made through another front end (its own client, its own
 * caches) is seen the moment it is acknowledged. While the lease lasts, a read at a branch, a tag
 * or a full commit id is answered from the kept answer (domain/warm-reads.ts); any change to the
 * files it came from ends that at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClusterStorage } from '../../../fs-service/index.js';
import { RemoteRepoStore } from '../../../fs-service/client/remote-repo-store.js';
import { createRepoService, type RepoService } from '../../../repo-server/domain/index.js';
import { ClusterHarness } from '../../fs-service/cluster-harness.js';
import { RecordingEvents } from './helpers/service.js';

const root = mkdtempSync(join(tmpdir(), 'warm-reads-'));
const cluster = new ClusterHarness(join(root, 'cluster'));
let mine: ClusterStorage;
let theirs: ClusterStorage;
let reader: RepoService;
let writer: RepoService;

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  mine = await cluster.connect();
  theirs = await cluster.connect();
  reader = createRepoService({ storage: mine, events: new RecordingEvents() });
  writer = createRepoService({ storage: theirs, events: new RecordingEvents() });
}, 120_000);

afterAll(async () => {
  await mine?.close();
  await theirs?.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

async function write(repo: string, branch: string, path: string, text: string): Promise<void> {
  const done = await writer.commitChanges(repo, { branch, message: `write ${path}`, changes: [{ path, content: Buffer.from(text) }] });
  expect(done.ok).toBe(true);
}

async function read(repo: string, path: string, ref?: string): Promise<{ text: string; trips: number }> {
  mine.resetRoundTrips();
  const found = await reader.readPath(repo, { path, ...(ref === undefined ? {} : { ref }) });
  if (!found.ok || found.content.type !== 'file') throw new Error(`no file ${path}: ${JSON.stringify(found)}`);
  const text = (await found.content.bytes()).toString('utf8');
  return { text, trips: mine.roundTrips.total };
}

describe('warm reads over shard processes', () => {
  it('a warm file read at the default branch, at a named branch, and a folder listing cost at most one round trip each', async () => {
    expect((await writer.createRepository('warm')).ok).toBe(true);
    await write('warm', 'main', 'book/ch1.md', 'one\n');
    expect((await writer.createBranch('warm', 'draft', { from: 'main' })).ok).toBe(true);
    await read('warm', 'book/ch1.md');
    await read('warm', 'book/ch1.md', 'draft');
    for (const ref of [undefined, 'draft']) {
      const warm = await read('warm', 'book/ch1.md', ref);
      expect(warm.text).toBe('one\n');
      expect(warm.trips).toBeLessThanOrEqual(1);
    }
    mine.resetRoundTrips();
    const listing = await reader.readPath('warm', { path: 'book' });
    expect(listing.ok && listing.content.type === 'folder' && listing.content.entries.map((e) => e.name)).toEqual(['ch1.md']);
    expect(mine.roundTrips.total).toBeLessThanOrEqual(1);
    mine.resetRoundTrips();
    expect(await reader.getBranch('warm', 'draft')).toMatchObject({ ok: true, branch: { name: 'draft' } });
    expect(mine.roundTrips.total).toBeLessThanOrEqual(1);
  });

  it('a write through the other front end is visible at the very next read', async () => {
    expect((await writer.createRepository('fresh')).ok).toBe(true);
    for (let i = 0; i < 5; i++) {
      await write('fresh', 'main', 'page.md', `version ${i}\n`);
      expect((await read('fresh', 'page.md')).text).toBe(`version ${i}\n`);
    }
  });

  it('a changed default branch is noticed although the read guessed the old one', async () => {
    expect((await writer.createRepository('moved', { defaultBranch: 'main' })).ok).toBe(true);
    await write('moved', 'main', 'a.md', 'on main\n');
    expect((await writer.createBranch('moved', 'next', { from: 'main' })).ok).toBe(true);
    await write('moved', 'next', 'a.md', 'on next\n');
    expect((await read('moved', 'a.md')).text).toBe('on main\n');
    expect((await read('moved', 'a.md', 'next')).text).toBe('on next\n');
    expect((await writer.updateRepository('moved', { defaultBranch: 'next' })).ok).toBe(true);
    const after = await read('moved', 'a.md');
    expect(after.text).toBe('on next\n');
    expect(after.trips).toBe(2);
    const again = await read('moved', 'a.md');
    expect(again.text).toBe('on next\n');
    expect(again.trips).toBeLessThanOrEqual(1);
  });

  it('a deleted repository is gone for the reader at once, although its blobs were cached', async () => {
    expect((await writer.createRepository('gone')).ok).toBe(true);
    await write('gone', 'main', 'a.md', 'soon gone\n');
    expect((await read('gone', 'a.md')).text).toBe('soon gone\n');
    expect((await writer.deleteRepository('gone')).ok).toBe(true);
    expect(await reader.readPath('gone', { path: 'a.md' })).toMatchObject({ ok: false, reason: 'not-found' });
  });

  describe('kept answers', () => {
    // readManyNow is how a kept answer asks whether its basis still holds: a defined result is a
    // kept answer served, undefined one refused.
    const vouch = vi.spyOn(RemoteRepoStore.prototype, 'readManyNow');
    afterEach(() => vouch.mockClear());
    const served = () => vouch.mock.results.filter((r) => r.type === 'return' && r.value !== undefined).length;

    async function text(repo: string, path: string, ref?: string): Promise<string> {
      return (await read(repo, path, ref)).text;
    }

    it('a second read at a branch, a tag or a full commit id is a kept answer', async () => {
      expect((await writer.createRepository('kept')).ok).toBe(true);
      await write('kept', 'main', 'a.md', 'one\n');
      const head = await writer.resolveRef('kept', 'main');
      if (!head.ok) throw new Error('no main');
      expect((await writer.createTag('kept', 'v1', { ref: 'main', message: 'first' })).ok).toBe(true);
      for (const ref of [undefined, 'main', 'v1', head.commit]) {
        // Twice: a front end's first read of a repository does not know its default branch yet.
        expect(await text('kept', 'a.md', ref)).toBe('one\n');
        expect(await text('kept', 'a.md', ref)).toBe('one\n');
        vouch.mockClear();
        const again = await read('kept', 'a.md', ref);
        expect(again.text).toBe('one\n');
        expect(again.trips).toBeLessThanOrEqual(1);
        // A lease that ran out on a slow box refuses the kept answer; the read is then a plain one.
        if (again.trips === 0) expect([ref, served()]).toEqual([ref, 1]);
        // A kept answer comes back at once, not as a promise.
        vouch.mockClear();
        const direct = reader.readPath('kept', { path: 'a.md', ...(ref === undefined ? {} : { ref }) });
        expect(direct instanceof Promise).toBe(served() === 0);
        await direct;
      }
    });

    it('an abbreviated commit id is never kept: a new object could make it ambiguous', async () => {
      const head = await writer.resolveRef('kept', 'main');
      if (!head.ok) throw new Error('no main');
      const short = head.commit.slice(0, 7);
      for (let i = 0; i < 3; i++) expect(await text('kept', 'a.md', short)).toBe('one\n');
      expect(served()).toBe(0);
    });

    it('every change to a kept answer\'s basis through the other front end is seen at the next read', async () => {
      expect((await writer.createRepository('churn')).ok).toBe(true);
      await write('churn', 'main', 'book/a.md', 'a0\n');
      expect((await writer.createBranch('churn', 'draft', { from: 'main' })).ok).toBe(true);
      expect((await writer.createTag('churn', 'pub', { ref: 'main', message: 'pub' })).ok).toBe(true);
      for (let i = 1; i <= 12; i++) {
        // Warm every kind of read first, so each check below could be a kept answer.
        for (const ref of [undefined, 'main', 'draft', 'pub']) await text('churn', 'book/a.md', ref);
        await write('churn', i % 2 === 0 ? 'main' : 'draft', 'book/a.md', `a${i}\n`);
        const onMain = i % 2 === 0 ? `a${i}\n` : `a${i - 1}\n`;
        const onDraft = i % 2 === 1 ? `a${i}\n` : i === 1 ? 'a0\n' : `a${i - 1}\n`;
        expect(await text('churn', 'book/a.md')).toBe(onMain);
        expect(await text('churn', 'book/a.md', 'main')).toBe(onMain);
        expect(await text('churn', 'book/a.md', 'draft')).toBe(onDraft);
        expect(await text('churn', 'book/a.md', 'pub')).toBe('a0\n');
      }
      // A folder listing sees a new file; a moved tag and a deleted branch are seen.
      const before = await reader.readPath('churn', { path: 'book' });
      expect(before.ok && before.content.type === 'folder' && before.content.entries.map((e) => e.name)).toEqual(['a.md']);
      await write('churn', 'main', 'book/b.md', 'b\n');
      const after = await reader.readPath('churn', { path: 'book' });
      expect(after.ok && after.content.type === 'folder' && after.content.entries.map((e) => e.name)).toEqual(['a.md', 'b.md']);
      expect((await writer.deleteBranch('churn', 'draft')).ok).toBe(true);
      expect(await reader.readPath('churn', { path: 'book/a.md', ref: 'draft' })).toMatchObject({ ok: false, reason: 'not-found' });
    });

    it('a repository deleted and created again under the same name answers its new content', async () => {
      expect((await writer.createRepository('reborn')).ok).toBe(true);
      await write('reborn', 'main', 'a.md', 'first life\n');
      expect(await text('reborn', 'a.md')).toBe('first life\n');
      expect(await text('reborn', 'a.md')).toBe('first life\n');
      expect((await writer.deleteRepository('reborn')).ok).toBe(true);
      expect((await writer.createRepository('reborn')).ok).toBe(true);
      await write('reborn', 'main', 'a.md', 'second life\n');
      expect(await text('reborn', 'a.md')).toBe('second life\n');
    });

    it('a kept folder is frozen and a kept file reads its own bytes, so no reader can change another\'s answer', async () => {
      await text('kept', 'a.md');
      const one = await reader.readPath('kept', { path: '' });
      const two = await reader.readPath('kept', { path: '' });
      if (!one.ok || !two.ok || one.content.type !== 'folder' || two.content.type !== 'folder') throw new Error('no folder');
      expect(Object.isFrozen(two.content.entries)).toBe(true);
      expect(Object.isFrozen(two.content.entries[0])).toBe(true);
      const a = await reader.readPath('kept', { path: 'a.md' });
      const b = await reader.readPath('kept', { path: 'a.md' });
      if (!a.ok || !b.ok || a.content.type !== 'file' || b.content.type !== 'file') throw new Error('no file');
      expect(a.content).not.toBe(b.content);
      expect((await b.content.bytes()).toString()).toBe('one\n');
    });
  });
});
