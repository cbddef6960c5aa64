/**
 * Over real shard processes: once a front end has a file's objects, reading it again costs at
 * most one storage round trip (metadata and ref in one batch; none while the primary's read lease
 * on them lasts), and every write made through another front end (its own client, its own
 * caches) is seen the moment it is acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStorage } from '../../../fs-service/index.js';
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
});
