/**
 * The shard cluster as a domain test backend (DOMAIN_CLUSTER=1): three shard processes and a
 * supervisor per test file, started on first use and killed after the file; each test gets its
 * own name prefix on the one cluster.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { ClusterStorage } from '../../../../fs-service/index.js';
import { ClusterHarness } from '../../../fs-service/cluster-harness.js';
import type { StorageHandle } from './storages.js';
import { namespaced } from './wrapped-storage.js';

interface Running {
  root: string;
  harness: ClusterHarness;
  storage: ClusterStorage;
}

let running: Promise<Running> | null = null;
let tests = 0;

function start(): Promise<Running> {
  running ??= (async () => {
    const root = mkdtempSync(join(tmpdir(), 'domain-cluster-'));
    const harness = new ClusterHarness(root);
    await harness.startShards(['s1', 's2', 's3']);
    await harness.startSupervisor();
    return { root, harness, storage: await harness.connect() };
  })();
  return running;
}

afterAll(async () => {
  if (running === null) return;
  const { root, harness, storage } = await running;
  running = null;
  await storage.close();
  await harness.stopAll();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh view of the file's cluster; `label` keeps suites that share helpers apart. */
export async function clusterStorage(label = 't'): Promise<StorageHandle> {
  const { storage } = await start();
  return { storage: namespaced(storage, `${label}${tests++}-`), dispose: async () => undefined };
}
