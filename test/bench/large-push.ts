/**
 * Large push benchmark (issue "Pushes of any size"): a book of about 300 MiB (incompressible
 * figures plus chapters of small text files over many commits) pushed with the real git client
 * into a new repository, RUNS times per side, in one run:
 *   - embedded: our server process (`repo-server/main.ts`, embedded storage) and native
 *     `git http-backend` (fcgiwrap), behind one nginx;
 *   - cluster: the launcher's cluster (3 shards, 3 copies, 2 front ends, its nginx) against the
 *     same native reference.
 * For ours it also reports the front end's resident-memory growth during the push (sampled from
 * /proc every 20 ms) and how long /healthz took to answer, polled every 10 ms on the same process
 * while the push ran (p99 and max): the stall every other user of that process would see.
 * Median and range of every figure.
 *
 *   npx tsx test/bench/large-push.ts [--runs 3] [--mib 300] [--embedded-only]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, stopCluster } from '../../nginx/index.js';
import { freePort } from '../conformance/helpers/embedded-server.js';
import { GitSandbox } from '../repo-server/git-http/helpers/git-client.js';
import { median, startBesideNative, stopAll, timed, waitFor } from './helpers/beside-native.js';

const MiB = 1024 * 1024;
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 3);
const TOTAL_MIB = arg('mib', 300);
const FIGURE_MIB = 12;
const TEXT_FILES = 1_500;
const COMMITS = 30;

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

/** While `work` runs: peak resident growth of `pid`, and /healthz latencies at `health`. */
async function observed(pid: number, health: string, work: () => Promise<unknown>): Promise<{ ms: number; growthMiB: number; p99: number; max: number }> {
  const before = rss(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 20);
  const times: number[] = [];
  let running = true;
  const poller = (async () => {
    while (running) {
      const t0 = performance.now();
      await fetch(health).then((r) => r.arrayBuffer()).catch(() => undefined);
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const ms = await timed(work);
  running = false;
  await poller;
  clearInterval(sampler);
  times.sort((a, b) => a - b);
  return { ms, growthMiB: (peak - before) / MiB, p99: times[Math.floor(times.length * 0.99)] ?? 0, max: times.at(-1) ?? 0 };
}

async function buildBook(sb: GitSandbox, dir: string): Promise<void> {
  await sb.ok(['init', '-q', dir]);
  const figures = Math.max(1, Math.round((TOTAL_MIB - 10) / FIGURE_MIB));
  mkdirSync(join(dir, 'media'), { recursive: true });
  for (let c = 0; c < COMMITS; c++) {
    const chapter = join(dir, `chapter-${String(c).padStart(2, '0')}`);
    mkdirSync(chapter, { recursive: true });
    for (let i = 0; i < TEXT_FILES / COMMITS; i++) writeFileSync(join(chapter, `section-${i}.md`), `# ${c}.${i}\n\n${'Prose of an open textbook, revised. '.repeat(40 + ((i * 7) % 50))}\n`);
    for (let f = Math.floor((c * figures) / COMMITS); f < Math.floor(((c + 1) * figures) / COMMITS); f++) writeFileSync(join(dir, 'media', `figure-${f}.png`), randomBytes(FIGURE_MIB * MiB));
    await sb.ok(['add', '-A'], { cwd: dir });
    await sb.ok(['commit', '-q', '-m', `chapter ${c}`], { cwd: dir });
  }
}

function startServer(dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'repo-server/main.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, AUTH: 'off', RATE_LIMIT: 'off', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function createRepo(base: string, name: string): Promise<void> {
  const r = await fetch(`${base}/repos/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${await r.text()}`);
}

const fmt = (xs: number[], digits = 0): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`;

interface Row {
  setup: string;
  ours: number[];
  native: number[];
  ratio: number[];
  growth: number[];
  p99: number[];
  max: number[];
}

async function measure(setup: string, sb: GitSandbox, book: string, ours: { base: string; pid: number; health: string }, native: { base: string; root: string }): Promise<Row> {
  const row: Row = { setup, ours: [], native: [], ratio: [], growth: [], p99: [], max: [] };
  for (let run = 0; run < RUNS; run++) {
    const name = `${setup}-${run}`;
    const nativeRepo = join(native.root, `${name}.git`);
    await sb.ok(['init', '-q', '--bare', '-b', 'main', nativeRepo]);
    await sb.ok(['config', 'http.receivepack', 'true'], { cwd: nativeRepo });
    const nativeMs = await timed(() => sb.ok(['push', '-q', `${native.base}/native/${name}.git`, 'main'], { cwd: book, timeoutMs: 900_000 }));
    await createRepo(ours.base, name);
    const o = await observed(ours.pid, ours.health, () => sb.ok(['push', '-q', `${ours.base}/${name}.git`, 'main'], { cwd: book, timeoutMs: 900_000 }));
    row.ours.push(o.ms);
    row.native.push(nativeMs);
    row.ratio.push(o.ms / nativeMs);
    row.growth.push(o.growthMiB);
    row.p99.push(o.p99);
    row.max.push(o.max);
    process.stderr.write(`${name}: ours ${o.ms.toFixed(0)} ms, native ${nativeMs.toFixed(0)} ms, +${o.growthMiB.toFixed(0)} MiB, /healthz p99 ${o.p99.toFixed(0)} ms max ${o.max.toFixed(0)} ms\n`);
  }
  return row;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'push-bench-'));
  const sb = new GitSandbox('push-bench-client-');
  const book = sb.path('book');
  let server: ChildProcess | undefined;
  const clusterDir = join(root, 'cluster');
  let clusterUp = false;
  const rows: Row[] = [];
  try {
    process.stderr.write(`building a book of about ${TOTAL_MIB} MiB\n`);
    await buildBook(sb, book);
    const packMiB = Number((await sb.ok(['count-objects', '-v'], { cwd: book })).match(/size: (\d+)/)?.[1] ?? 0) / 1024;

    const port = await freePort();
    server = startServer(join(root, 'data'), port);
    await waitFor(`http://127.0.0.1:${port}/healthz`);
    const { base, nativeRoot } = await startBesideNative(join(root, 'nginx'), port);
    await waitFor(`${base}/ours/healthz`);
    // Repositories are created on our server directly; pushes go through nginx.
    const direct = `http://127.0.0.1:${port}`;
    const embedded = await measure('embedded', sb, book, { base: `${base}/ours`, pid: server.pid as number, health: `${direct}/healthz` }, { base, root: nativeRoot });
    rows.push(embedded);

    if (!process.argv.includes('--embedded-only')) {
      const cport = await freePort();
      const state = await startCluster({ dir: clusterDir, frontends: 2, shards: 3, copies: 3, port: cport, maxBodyBytes: 50 * MiB, authOff: true, rateLimitOff: true });
      clusterUp = true;
      // Both front ends serve pushes in turn; watch the first (nginx may pick either, so the
      // memory figure is of whichever it is, and the other's is not counted).
      const fe = state.processes.find((p) => p.role === 'frontend-f1')!;
      rows.push(await measure('cluster', sb, book, { base: state.url, pid: fe.pid, health: `http://127.0.0.1:${fe.port}/healthz` }, { base, root: nativeRoot }));
    }

    process.stdout.write(`\nbook: ${TOTAL_MIB} MiB of figures and text, ${COMMITS} commits, ${TEXT_FILES} text files; local objects ${packMiB.toFixed(0)} MiB; ${RUNS} runs each, median (min-max)\n`);
    process.stdout.write('| setup | ours (ms) | git http-backend (ms) | ours / native | front end growth (MiB) | /healthz p99 (ms) | /healthz max (ms) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n');
    for (const r of rows) process.stdout.write(`| ${r.setup} | ${fmt(r.ours)} | ${fmt(r.native)} | ${fmt(r.ratio, 2)} | ${fmt(r.growth)} | ${fmt(r.p99)} | ${fmt(r.max)} |\n`);
  } finally {
    stopAll();
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    if (clusterUp) await stopCluster(clusterDir).catch(() => undefined);
    sb.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  stopAll();
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
