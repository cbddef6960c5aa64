import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage, type RepoStore, type Storage } from '../../fs-service/index.js';
import { ClusterHarness } from './cluster-harness.js';

const ROUNDS = 1_000;
const REF = '/refs/heads/main';

const root = mkdtempSync(join(tmpdir(), 'fs-cas-'));
const cluster = new ClusterHarness(join(root, 'cluster'));
const opened: Storage[] = [];

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
});
afterAll(async () => {
  for (const storage of opened) await storage.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

interface Success {
  from: string | null;
  to: string;
}

/** One client's rounds: read the ref, swap it to a value naming the client and the round. */
async function contend(repo: RepoStore, name: string, rounds: number): Promise<Success[]> {
  const successes: Success[] = [];
  for (let round = 0; round < rounds; round++) {
    const [current] = await repo.readMany([REF]);
    const count = current === null ? 0 : Number(current.toString().split(' ')[0]);
    const next = Buffer.from(`${count + 1} ${name} ${round}`);
    if (await repo.compareAndSwap([{ path: REF, expected: current, next }])) successes.push({ from: current?.toString() ?? null, to: next.toString() });
  }
  return successes;
}

/** The successes must form one chain from "absent" to the final value: nothing lost, nothing twice. */
async function expectOneChain(reader: RepoStore, successes: Success[]): Promise<void> {
  const byFrom = new Map<string | null, Success>();
  for (const s of successes) {
    expect(byFrom.has(s.from), `two swaps succeeded from ${String(s.from)}`).toBe(false);
    byFrom.set(s.from, s);
  }
  let value: string | null = null;
  let steps = 0;
  while (byFrom.has(value)) {
    value = byFrom.get(value)!.to;
    steps++;
  }
  expect(steps).toBe(successes.length);
  expect(await reader.fs.promises.readFile(REF, 'utf8')).toBe(value);
  expect(Number(value!.split(' ')[0])).toBe(successes.length);
}

describe('two clients swapping one ref, 1,000 rounds', () => {
  it('over three replicated shard processes: every success is visible, no update is lost', async () => {
    const a = await cluster.connect();
    const b = await cluster.connect();
    opened.push(a, b);
    const [fromA, fromB] = await Promise.all([contend(a.repo('cas'), 'a', ROUNDS / 2), contend(b.repo('cas'), 'b', ROUNDS / 2)]);
    expect(fromA.length).toBeGreaterThan(0);
    expect(fromB.length).toBeGreaterThan(0);
    await expectOneChain(a.repo('cas'), [...fromA, ...fromB]);
  }, 120_000);

  it('on the embedded engine, through two repository handles', async () => {
    const storage = await openEmbeddedStorage(join(root, 'embedded'));
    opened.push(storage);
    const [fromA, fromB] = await Promise.all([contend(storage.repo('cas'), 'a', ROUNDS / 2), contend(storage.repo('cas'), 'b', ROUNDS / 2)]);
    await expectOneChain(storage.repo('cas'), [...fromA, ...fromB]);
  }, 60_000);
});
