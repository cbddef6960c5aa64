import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage, type Storage } from '../../fs-service/index.js';
import { MemoryStorage } from '../../fs-service/testing.js';
import { ClusterHarness } from './cluster-harness.js';
import { runScriptedSession, type SessionResult, FILES, MAIN_COMMITS, FEATURE_COMMITS } from './git-session.js';

const root = mkdtempSync(join(tmpdir(), 'fs-session-'));
const opened: Storage[] = [];
const cluster = new ClusterHarness(join(root, 'cluster'));
// The shard processes start while memfs runs.
let clusterUp: Promise<unknown>;
beforeAll(() => {
  clusterUp = cluster.startShards(['s1', 's2', 's3']).then(() => cluster.startSupervisor());
  clusterUp.catch(() => undefined);
});
afterAll(async () => {
  for (const storage of opened) await storage.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

const results = new Map<string, SessionResult>();

describe('the scripted isomorphic-git session', () => {
  it('runs on memfs (MemoryStorage)', async () => {
    const result = await runScriptedSession(new MemoryStorage().repo('session'));
    expect(result.fileCount).toBe(FILES);
    expect(result.logOids).toHaveLength(MAIN_COMMITS + FEATURE_COMMITS + 1);
    expect(result.branches).toEqual(['feature', 'main']);
    expect(result.indexedOids).toHaveLength(FEATURE_COMMITS * 3);
    expect(result.importedOids).toBe(FILES + 111 + 1);
    results.set('memfs', result);
  });

  it('gives identical object ids and results on the embedded disk engine', async () => {
    const storage = await openEmbeddedStorage(join(root, 'embedded'));
    opened.push(storage);
    results.set('embedded', await runScriptedSession(storage.repo('session')));
    expect(results.get('embedded')).toEqual(results.get('memfs'));
  });

  it('gives identical object ids and results through the client over three replicated shard processes', async () => {
    await clusterUp;
    const storage = await cluster.connect();
    opened.push(storage);
    expect(Object.keys(storage.map.shards).sort()).toEqual(['s1', 's2', 's3']);
    expect(storage.map.vbuckets.every((e) => e.copies.length === 3)).toBe(true);
    const result = await runScriptedSession(storage.repo('session'));
    expect(result).toEqual(results.get('memfs'));
    // Every write reached a majority, so the three copies of the repository converge.
    expect(storage.roundTrips.total).toBeGreaterThan(0);
  });
});
