/**
 * fs-service benchmark (not a vitest test):   npx tsx test/bench/fs-service.ts
 *
 * Starts three replicated shard processes and a supervisor on 127.0.0.1 plus an embedded engine
 * in this process, loads the same repository into both (2,000 files in d<k>/s<k>/, imported as a
 * pack, 20 more commits), then prints:
 *   1. p50/p99 of each fs operation (one request) over the shard client and embedded;
 *   2. two isomorphic-git operations, cold and warm cache, over both, with the ratio
 *      cluster/embedded of the medians and the round trips each made:
 *        (a) read a blob at a deep path at a branch, (b) commit one changed file.
 * Environment: BENCH_ITERATIONS (default 200) scales the sample counts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { openEmbeddedStorage, type ClusterStorage, type RepoStore, type Storage } from '../../fs-service/index.js';
import { ClusterHarness } from '../fs-service/cluster-harness.js';
import { buildPack, commitObject, gitObject, treeObject, type GitObject, type TreeItem } from '../fs-service/pack-builder.js';

const N = Number(process.env.BENCH_ITERATIONS ?? 200);
const gitdir = '/';
const DEEP = 'd7/s3/f05.txt';
const sig = (i: number) => ({ name: 'Bench', email: 'bench@example.org', timestamp: 1_700_000_000 + i, timezoneOffset: 0 });

function stats(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await run();
  return performance.now() - t;
}

/** 2,000 files, one commit, as a pack: the same bytes for both backends. */
function importPack(): { pack: Buffer; filename: string; commit: string } {
  const files = Array.from({ length: 2_000 }, (_, i) => `d${Math.floor(i / 200)}/s${Math.floor((i % 200) / 20)}/f${(i % 20).toString().padStart(2, '0')}.txt`);
  const objects: GitObject[] = [];
  const blobs = new Map(files.map((f) => [f, gitObject('blob', Buffer.from(`${f}\n${'text '.repeat(30)}\n`))]));
  objects.push(...blobs.values());
  const treeOf = (dir: string): GitObject => {
    const prefix = dir === '' ? '' : `${dir}/`;
    const children = new Map<string, TreeItem>();
    for (const [path, blob] of blobs) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) children.set(rest, { mode: '100644', path: rest, oid: blob.oid, type: 'blob' });
      else if (!children.has(rest.slice(0, slash))) {
        const sub = treeOf(prefix + rest.slice(0, slash));
        children.set(rest.slice(0, slash), { mode: '040000', path: rest.slice(0, slash), oid: sub.oid, type: 'tree' });
      }
    }
    const tree = treeObject([...children.values()]);
    if (!objects.some((o) => o.oid === tree.oid)) objects.push(tree);
    return tree;
  };
  const root = treeOf('');
  const commit = commitObject({ tree: root.oid, parents: [], author: sig(0), committer: sig(0), message: 'import\n' });
  objects.push(commit);
  return { ...buildPack(objects), commit: commit.oid };
}

/** Plumbing commit changing DEEP: read the three trees on the path, write blob, trees, commit, swap the ref. */
async function commitOne(repo: RepoStore, cache: object, i: number): Promise<void> {
  const fs = repo.fs;
  const parent = await git.resolveRef({ fs, gitdir, ref: 'refs/heads/main' });
  const { commit } = await git.readCommit({ fs, gitdir, cache, oid: parent });
  const parts = DEEP.split('/');
  const trees = [commit.tree];
  const entries = [];
  for (let depth = 0; depth < parts.length; depth++) {
    const { tree } = await git.readTree({ fs, gitdir, cache, oid: trees[depth]! });
    entries.push(tree);
    if (depth < parts.length - 1) trees.push(tree.find((e) => e.path === parts[depth])!.oid);
  }
  let oid = await git.writeBlob({ fs, gitdir, blob: Buffer.from(`edit ${i} ${Math.random()}\n`) });
  for (let depth = parts.length - 1; depth >= 0; depth--) {
    const tree = entries[depth]!.map((e) => (e.path === parts[depth] ? { ...e, oid } : e));
    oid = await git.writeTree({ fs, gitdir, tree });
  }
  const next = await git.writeCommit({ fs, gitdir, commit: { tree: oid, parent: [parent], author: sig(i), committer: sig(i), message: `edit ${i}\n` } });
  if (!(await repo.compareAndSwap([{ path: '/refs/heads/main', expected: Buffer.from(`${parent}\n`), next: Buffer.from(`${next}\n`) }]))) throw new Error('lost the ref race');
}

async function readDeep(repo: RepoStore, cache: object): Promise<void> {
  const oid = await git.resolveRef({ fs: repo.fs, gitdir, ref: 'refs/heads/main' });
  await git.readBlob({ fs: repo.fs, gitdir, cache, oid, filepath: DEEP });
}

async function load(storage: Storage): Promise<void> {
  const repo = storage.repo('bench');
  const { pack, filename, commit } = importPack();
  await git.init({ fs: repo.fs, gitdir, bare: true, defaultBranch: 'main' });
  await repo.fs.promises.writeFile(`/objects/pack/${filename}`, pack);
  await git.indexPack({ fs: repo.fs, dir: '/', gitdir, filepath: `objects/pack/${filename}` });
  await git.writeRef({ fs: repo.fs, gitdir, ref: 'refs/heads/main', value: commit, force: true });
  for (let i = 1; i <= 20; i++) await commitOne(repo, {}, i);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'fs-bench-'));
  const cluster = new ClusterHarness(join(root, 'cluster'));
  const out: string[] = [];
  try {
    await cluster.startShards(['s1', 's2', 's3']);
    await cluster.startSupervisor();
    const embedded = await openEmbeddedStorage(join(root, 'embedded'));
    const client = await cluster.connect();
    await Promise.all([load(embedded), load(client)]);

    // ---- 1. one request per fs operation -----------------------------------------------------
    out.push('### One fs operation (ms, sequential, loopback)', '', '| operation | cluster p50 | cluster p99 | embedded p50 | embedded p99 |', '| --- | ---: | ---: | ---: | ---: |');
    const ops: [string, (repo: RepoStore, i: number) => Promise<unknown>][] = [
      ['readFile (ref, 41 B)', (r) => r.fs.promises.readFile('/refs/heads/main')],
      ['stat', (r) => r.fs.promises.stat('/refs/heads/main')],
      ['readdir', (r) => r.fs.promises.readdir('/refs/heads')],
      ['readMany (10 refs)', (r) => r.readMany(Array.from({ length: 10 }, (_, k) => `/refs/heads/b${k}`))],
      ['writeFile (ref, replicated)', (r, i) => r.fs.promises.writeFile('/refs/heads/scratch', `${i}\n`)],
      ['writeFile (new loose object, 1 KiB)', (r, i) => {
        const data = Buffer.alloc(1024, i);
        const oid = createHash('sha1').update(data).update(String(i)).update(String(Math.random())).digest('hex');
        return r.fs.promises.writeFile(`/objects/${oid.slice(0, 2)}/${oid.slice(2)}`, data);
      }],
      ['compareAndSwap (ref)', async (r, i) => r.compareAndSwap([{ path: '/refs/heads/cas', expected: i === 0 ? null : Buffer.from(String(i - 1)), next: Buffer.from(String(i)) }])],
    ];
    for (const [label, op] of ops) {
      const row: number[] = [];
      for (const storage of [client, embedded]) {
        const repo = storage.repo('bench');
        const samples: number[] = [];
        for (let i = 0; i < N; i++) samples.push(await time(() => op(repo, i)));
        const { p50, p99 } = stats(samples.slice(Math.min(10, N / 10)));
        row.push(p50, p99);
      }
      out.push(`| ${label} | ${row.map((v) => v.toFixed(3)).join(' | ')} |`);
    }

    // ---- 2. isomorphic-git operations, cold and warm -----------------------------------------
    out.push('', '### isomorphic-git operations (ms; cold = new client cache and new isomorphic-git cache)', '', '| operation | cache | cluster p50 | cluster p99 | embedded p50 | embedded p99 | ratio of p50 | round trips |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const gitOps: [string, (repo: RepoStore, cache: object, i: number) => Promise<void>][] = [
      ['(a) read blob at d7/s3/f05.txt at main', (repo, cache) => readDeep(repo, cache)],
      ['(b) commit one changed file', (repo, cache, i) => commitOne(repo, cache, 1000 + i)],
    ];
    const coldRuns = Math.max(10, Math.floor(N / 10));
    for (const [label, op] of gitOps) {
      for (const temperature of ['cold', 'warm'] as const) {
        const results: { p50: number; p99: number }[] = [];
        let trips = 0;
        for (const backend of ['cluster', 'embedded'] as const) {
          const samples: number[] = [];
          const runs = temperature === 'cold' ? coldRuns : N;
          const warmCache = {};
          const warmClient = backend === 'cluster' ? client : embedded;
          if (temperature === 'warm') await op(warmClient.repo('bench'), warmCache, -1);
          for (let i = 0; i < runs; i++) {
            let storage: Storage = warmClient;
            let fresh: ClusterStorage | null = null;
            if (temperature === 'cold' && backend === 'cluster') storage = fresh = await cluster.connect();
            const cache = temperature === 'cold' ? {} : warmCache;
            if (backend === 'cluster') (storage as ClusterStorage).resetRoundTrips();
            samples.push(await time(() => op(storage.repo('bench'), cache, i + (temperature === 'cold' ? 0 : 500))));
            if (backend === 'cluster') trips += (storage as ClusterStorage).roundTrips.total;
            await fresh?.close();
          }
          results.push(stats(samples));
          if (backend === 'cluster') trips = Math.round(trips / runs);
        }
        const [c, e] = results as [{ p50: number; p99: number }, { p50: number; p99: number }];
        out.push(`| ${label} | ${temperature} | ${c.p50.toFixed(2)} | ${c.p99.toFixed(2)} | ${e.p50.toFixed(2)} | ${e.p99.toFixed(2)} | ${(c.p50 / e.p50).toFixed(2)}x | ${trips} |`);
      }
    }
    out.push('', `client cache: ${JSON.stringify(client.cacheStats)}`, `load average at the end: ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    process.stdout.write(out.join('\n') + '\n');
    await client.close();
    await embedded.close();
  } finally {
    await cluster.stopAll();
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
