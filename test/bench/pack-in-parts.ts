/**
 * Pushes of any size, measured (not a vitest test):   npx tsx test/bench/pack-in-parts.ts
 *
 * Three replicated shard processes and a supervisor on 127.0.0.1, and an embedded engine in this
 * process. Each run stores a fresh 64 MiB pack two ways on both backends and prints the median,
 * min and max of BENCH_RUNS runs (default 3):
 *   - reference: one writeFile of the whole pack (one message of 64 MiB, as before writePart);
 *   - parts: 16 writePart calls of 4 MiB, two in flight, then rename (what a push does now);
 * and, over the cluster, the latency of a ref compareAndSwap while such a push streams, against
 * the same swap on an idle repository (the reference). The shards get a 60 s replication timeout:
 * with the tests' 3 s, the reference's one 64 MiB update is refused on a loaded box.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStorage, type RepoStore } from '../../fs-service/index.js';
import { ClusterHarness } from '../fs-service/cluster-harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZE = 64 * 1024 * 1024;
const PART = 4 * 1024 * 1024;

const packPath = (data: Buffer) => `/objects/pack/pack-${createHash('sha1').update(data).digest('hex')}.pack`;

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function whole(repo: RepoStore): Promise<number> {
  const data = randomBytes(SIZE);
  return time(() => repo.fs.promises.writeFile(packPath(data), data));
}

async function inParts(repo: RepoStore): Promise<number> {
  const data = randomBytes(SIZE);
  const incoming = `/objects/pack/incoming-${randomBytes(16).toString('hex')}.pack`;
  return time(async () => {
    let next = 0;
    const stream = async () => {
      for (let offset = next; offset < SIZE; offset = next) {
        next += PART;
        await repo.writePart(incoming, offset, data.subarray(offset, offset + PART));
      }
    };
    await Promise.all([stream(), stream()]);
    await repo.rename(incoming, packPath(data));
  });
}

let swaps = 0;
async function swap(repo: RepoStore): Promise<number> {
  const expected = swaps === 0 ? null : Buffer.from(String(swaps));
  let swapped = false;
  const ms = await time(async () => (swapped = await repo.compareAndSwap([{ path: '/refs/heads/main', expected, next: Buffer.from(String(swaps + 1)) }])));
  if (!swapped) throw new Error(`the ref moved under its only writer at ${swaps}`);
  swaps++;
  return ms;
}

/** Ref swap latencies while a push streams, and as many on the idle repository. */
async function swapsDuringPush(repo: RepoStore): Promise<{ busy: number[]; idle: number[] }> {
  const busy: number[] = [];
  let done = false;
  const push = inParts(repo).finally(() => (done = true));
  while (!done) busy.push(await swap(repo));
  await push;
  const idle: number[] = [];
  for (let i = 0; i < Math.max(busy.length, 10); i++) idle.push(await swap(repo));
  return { busy, idle };
}

const failures: Record<string, string[]> = {};

/**
 * One measurement; a failed attempt (on a loaded box a shard that stalls loses its etcd lease and
 * its vbuckets fail over) is counted, printed, and the attempt made again once writes are taken.
 */
async function measured<T>(label: string, repo: RepoStore, run: (repo: RepoStore) => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await run(repo);
    } catch (err) {
      (failures[label] ??= []).push(String(err));
      if (failures[label].length > 5) throw err;
      await writable(repo);
    }
  }
}

/** A new cluster's copies are in sync a moment after its first map: until then writes are refused. */
async function writable(repo: RepoStore): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await repo.fs.promises.writeFile('/HEAD', 'ref: refs/heads/main\n');
      swaps = Number((await repo.readMany(['/refs/heads/main']))[0]?.toString() ?? 0);
      return;
    } catch (err) {
      if (attempt >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

const row = (label: string, values: number[], unit: string) =>
  `| ${label} | ${values.length} | ${median(values).toFixed(0)} ${unit} | ${Math.min(...values).toFixed(0)} ${unit} | ${Math.max(...values).toFixed(0)} ${unit} |`;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'fs-bench-parts-'));
  const cluster = new ClusterHarness(join(root, 'cluster'));
  try {
    // The reference's single 64 MiB update takes longer than the tests' 3 s replication timeout
    // on a loaded box (the copies are dropped and the write is refused): given 60 s here.
    for (const id of ['s1', 's2', 's3']) await cluster.startShard(id, 0, ['--replicate-timeout', '60000']);
    await cluster.startSupervisor();
    const client = await cluster.connect({ retryWindowMs: 20_000 });
    const embedded = await openEmbeddedStorage(join(root, 'embedded'));
    const out = ['### A 64 MiB pack stored whole (reference) and in 4 MiB parts, two in flight, then renamed', '', '| backend, way | runs | median | min | max |', '| --- | ---: | ---: | ---: | ---: |'];
    const ratios: Record<string, number[]> = { cluster: [], embedded: [] };
    const busyMedians: number[] = [];
    const idleMedians: number[] = [];
    for (const [name, storage] of [['cluster', client], ['embedded', embedded]] as const) {
      const repo = storage.repo('bench-parts');
      await writable(repo);
      const wholeMs: number[] = [];
      const partsMs: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        wholeMs.push(await measured(`${name} whole`, repo, whole));
        partsMs.push(await measured(`${name} parts`, repo, inParts));
        ratios[name]!.push(partsMs[run]! / wholeMs[run]!);
        if (name === 'cluster') {
          const { busy, idle } = await measured('cluster swaps', repo, swapsDuringPush);
          busyMedians.push(median(busy));
          idleMedians.push(median(idle));
        }
      }
      out.push(row(`${name}, whole (writeFile)`, wholeMs, 'ms'), row(`${name}, parts + rename`, partsMs, 'ms'));
      out.push(`| ${name}, ratio parts / whole | ${RUNS} | ${median(ratios[name]!).toFixed(2)}x | ${Math.min(...ratios[name]!).toFixed(2)}x | ${Math.max(...ratios[name]!).toFixed(2)}x |`);
    }
    out.push('', '### Ref compareAndSwap over the cluster (median per run)', '', '| when | runs | median | min | max |', '| --- | ---: | ---: | ---: | ---: |');
    out.push(row('idle repository (reference)', idleMedians, 'ms'), row('while a 64 MiB push streams', busyMedians, 'ms'));
    for (const [label, errors] of Object.entries(failures)) out.push(`failed and measured again: ${label}, ${errors.length} time(s): ${errors.join('; ')}`);
    out.push('', `load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    process.stdout.write(out.join('\n') + '\n');
    await client.close();
    await embedded.close();
  } finally {
    await cluster.stopAll();
    if (process.env.KEEP_BENCH !== '1') rmSync(root, { recursive: true, force: true });
    else process.stderr.write(`kept ${root}\n`);
  }
}

void main();
