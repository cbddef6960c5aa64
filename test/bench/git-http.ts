/**
 * git smart HTTP benchmark: the same repository served by the same nginx in front of
 * (a) our TypeScript server (embedded disk storage) and (b) native `git http-backend` through
 * fcgiwrap (installed from Debian's packages when missing). Median of 5 runs per operation.
 * Run: npx tsx test/bench/git-http.ts   (needs root for apt-get when fcgiwrap is absent)
 */
import { GitCache, ObjectStores } from '../../repo-server/git/index.js';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { openEmbeddedStorage } from '../../fs-service/index.js';
import { gitHttpRouter } from '../../repo-server/git-http/index.js';
import { buildBigRepo } from '../repo-server/git-http/helpers/big-repo.js';
import { GitSandbox } from '../repo-server/git-http/helpers/git-client.js';
import { commitFiles } from '../repo-server/git-http/helpers/local-repo.js';
import { initRepo } from '../repo-server/git-http/helpers/server-repo.js';
import { median, startBesideNative, stopAll, timed, waitFor } from './helpers/beside-native.js';

const RUNS = 5;
const SHAPE = { files: 5000, commits: 500, binaries: 3, binaryBytes: 1536 * 1024 };
async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'git-bench-'));
  const sb = new GitSandbox('git-bench-client-');
  const storage = await openEmbeddedStorage(join(root, 'data'));
  let server: Server | null = null;
  try {
    process.stderr.write('building the repository (fast-import)\n');
    const source = sb.path('source');
    await buildBigRepo(sb, source, SHAPE);
    // Ten commits past main, published as branch "ten" on both servers for the fetch test.
    await sb.ok(['checkout', '-q', '-b', 'ten'], { cwd: source });
    for (let i = 0; i < 10; i++) await commitFiles(sb, source, { [`part01/sec1/file${260 + i}.md`]: `ten ${i}\n` }, `ten ${i}`);
    await sb.ok(['checkout', '-q', 'main'], { cwd: source });

    const app = express();
    app.use(gitHttpRouter({ objects: new ObjectStores(storage, new GitCache()), events: { publish: () => undefined } }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const oursPort = (server.address() as AddressInfo).port;
    await initRepo(storage.repo('big'));

    const { base, nativeRoot } = await startBesideNative(root, oursPort);
    const nativeRepo = join(nativeRoot, 'big.git');
    await sb.ok(['init', '-q', '--bare', '-b', 'main', nativeRepo]);
    await sb.ok(['config', 'http.receivepack', 'true'], { cwd: nativeRepo });
    const urls = { ours: `${base}/ours/big.git`, native: `${base}/native/big.git` };
    await waitFor(`${urls.ours}/info/refs?service=git-upload-pack`);
    await waitFor(`${urls.native}/info/refs?service=git-upload-pack`);

    const results: { op: string; ours: number; native: number }[] = [];
    const sides = ['ours', 'native'] as const;
    for (const side of sides) {
      process.stderr.write(`seeding ${side}\n`);
      await sb.ok(['push', '-q', urls[side], 'main', 'ten'], { cwd: source, timeoutMs: 300_000 });
    }
    const samples: Record<string, Record<(typeof sides)[number], number[]>> = {};
    const record = (op: string, side: (typeof sides)[number], ms: number): void => {
      samples[op] ??= { ours: [], native: [] };
      samples[op][side].push(ms);
    };
    for (let run = 0; run < RUNS; run++) {
      for (const side of sides) {
        const url = urls[side];
        const clone = sb.path(`clone-${side}-${run}`);
        const all = sb.path(`all-${side}-${run}`);
        record('full clone (--bare, all branches)', side, await timed(() => sb.ok(['clone', '-q', '--bare', url, all], { timeoutMs: 300_000 })));
        rmSync(all, { recursive: true, force: true });
        record('clone --single-branch main (--bare)', side, await timed(() => sb.ok(['clone', '-q', '--bare', '--single-branch', '--branch', 'main', url, clone], { timeoutMs: 300_000 })));
        record('ls-remote', side, await timed(() => sb.ok(['ls-remote', url])));
        const fetchDir = sb.path(`fetch-${side}-${run}`);
        cpSync(clone, fetchDir, { recursive: true });
        record('fetch of 10 commits', side, await timed(() => sb.ok(['fetch', '-q', url, 'ten:ten'], { cwd: fetchDir })));
        const work = sb.path(`work-${side}-${run}`);
        await sb.ok(['clone', '-q', '--shared', clone, work]);
        for (let i = 0; i < 10; i++) await commitFiles(sb, work, { [`part02/sec2/file${500 + i}.md`]: `push ${side} ${run} ${i}\n` }, `push ${run}.${i}`);
        record('push of 10 commits', side, await timed(() => sb.ok(['push', '-q', url, `HEAD:refs/heads/run-${run}`], { cwd: work })));
        for (const d of [clone, fetchDir, work]) rmSync(d, { recursive: true, force: true });
      }
    }
    for (const [op, s] of Object.entries(samples)) results.push({ op, ours: median(s.ours), native: median(s.native) });
    const lines = [
      `| operation (median of ${RUNS}) | ours (ms) | git http-backend (ms) | ours / native |`,
      '| --- | ---: | ---: | ---: |',
      ...results.map((r) => `| ${r.op} | ${r.ours.toFixed(0)} | ${r.native.toFixed(0)} | ${(r.ours / r.native).toFixed(2)} |`),
    ];
    process.stdout.write(`repository: ${SHAPE.files} files, ${SHAPE.commits} commits (+10 on "ten"), ${SHAPE.binaries} binaries of ${SHAPE.binaryBytes} bytes\n`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    stopAll();
    if (server !== null) {
      server.closeAllConnections();
      await new Promise<void>((r) => (server as Server).close(() => r()));
    }
    await storage.close();
    sb.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  stopAll();
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
