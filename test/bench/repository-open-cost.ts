/**
 * What opening a repository costs a front end (not a test):   npx tsx test/bench/repository-open-cost.ts
 *
 * A front end keeps, per repository it serves, a RepoContext (caches of commits, trees, sizes,
 * generations and object kinds; 64 of them) and, over the shard cluster, a RepoCacheState (up to
 * 10,000). Both are built the first time a request names the repository. This bench opens 64
 * repository contexts and 1,000 cache states and reports, median of 5 rounds, the heap each one
 * holds while still empty and the time to build it; the reference, measured in the same run, is
 * the same caches bounded with lru-cache's `max`, which allocates every slot up front (what they
 * were until 2026-12-03). Budget: 64 KiB and 0.5 ms per repository context.
 */
import { GitCache, ObjectStores } from '../../repo-server/git/index.js';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { LRUCache } from 'lru-cache';
import { MemoryStorage } from '../../fs-service/testing.js';
import { RepoCacheState } from '../../fs-service/client/repo-cache-state.js';
import { RepoContexts } from '../../repo-server/domain/repo-context.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const ROUNDS = 5;
const BUDGET_BYTES = 64 * 1024;
const BUDGET_MS = 0.5;

/** Module-level, so no optimizer can decide the objects are dead before the second measurement. */
let held: unknown[] = [];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Heap bytes and milliseconds per object built by `make`, holding `count` of them. */
function measure(count: number, make: (i: number) => unknown): { bytes: number; ms: number } {
  const bytes: number[] = [];
  const ms: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    gc();
    const heap = process.memoryUsage();
    const before = heap.heapUsed + heap.arrayBuffers;
    const started = performance.now();
    held = Array.from({ length: count }, (_, i) => make(i));
    const elapsed = performance.now() - started;
    gc();
    const after = process.memoryUsage();
    bytes.push((after.heapUsed + after.arrayBuffers - before) / count);
    ms.push(elapsed / count);
    held = [];
  }
  return { bytes: median(bytes), ms: median(ms) };
}

const preallocated = (max: number) => new LRUCache<string, object>({ max });
const rows = [
  { name: 'repository context (5 caches, grow as filled)', ...measure(64, (i) => new RepoContexts(new ObjectStores(new MemoryStorage(), new GitCache()), 64).get(`r${i}`)) },
  { name: 'reference: the same 5 caches with lru-cache max', ...measure(64, () => [20_000, 5_000, 20_000, 200_000, 50_000].map(preallocated)) },
  { name: 'cluster cache state (grow as filled)', ...measure(1_000, () => new RepoCacheState()) },
  { name: 'reference: its miss cache with lru-cache max', ...measure(1_000, () => preallocated(50_000)) },
];

const say = (line: string) => void process.stdout.write(`${line}\n`);
say(`| per repository opened (median of ${ROUNDS}) | heap KiB | build ms |`);
say('|---|---:|---:|');
for (const r of rows) say(`| ${r.name} | ${(r.bytes / 1024).toFixed(1)} | ${r.ms.toFixed(3)} |`);
const [context, contextRef, state, stateRef] = rows as [(typeof rows)[number], (typeof rows)[number], (typeof rows)[number], (typeof rows)[number]];
say('');
say(`repository context: ${(contextRef.bytes / context.bytes).toFixed(0)}x less heap, ${(contextRef.ms / context.ms).toFixed(0)}x faster than the reference`);
say(`cluster cache state: ${(stateRef.bytes / state.bytes).toFixed(0)}x less heap than the reference`);
const met = context.bytes <= BUDGET_BYTES && context.ms <= BUDGET_MS;
say(`budget (<= ${BUDGET_BYTES / 1024} KiB and <= ${BUDGET_MS} ms per repository context): ${met ? 'MET' : 'MISSED'}`);
if (!met) process.exitCode = 1;
