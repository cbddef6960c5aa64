/**
 * Cluster load run (not a test): autocannon against a launcher-started cluster (3 shards,
 * 3 copies, 2 front ends, access control off) through its nginx, beside a second nginx serving
 * the very same bytes as static files (the ceiling on this box), in one run.
 *
 *   npx tsx test/bench/cluster.ts [--seconds 10] [--connections 64] [--keep]
 *
 * Targets: GET of one file (warm: the front ends have its objects cached, the branch is read
 * from the shards on every request) and GET of a folder listing, through nginx with 1 front end
 * (the other taken out of the upstream by a reload) and with 2. Goal on a 2-core box: file GET
 * at >= 25% of the static ceiling, p99 < 20 ms, at 64 connections.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { freePort, isAlive, stopProcess, waitForHttp, type ManagedProcess } from '../../nginx/processes.js';
import { TestCluster } from '../cluster/helpers/cluster.js';
import { createRepo, mustPut } from '../cluster/helpers/api.js';
import { childrenOf } from '../../nginx/index.js';
import { startCpuCount, type Groups } from './process-cpu.js';

const GOAL_RATIO = 0.25;
const GOAL_P99_MS = 20;

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (o: { url: string; connections: number; duration: number }) => Promise<Result>;

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};

/** The same nginx, one server block with a static root: what serving these bytes costs at least. */
function staticConfig(prefix: string, port: number, root: string): string {
  return `worker_processes 2;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/tmp;
  proxy_temp_path ${prefix}/tmp;
  fastcgi_temp_path ${prefix}/tmp;
  uwsgi_temp_path ${prefix}/tmp;
  scgi_temp_path ${prefix}/tmp;
  keepalive_timeout 65s;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 10);
  const connections = arg('connections', 64);
  const say = (line: string) => void process.stdout.write(`${line}\n`);

  say('starting the cluster (3 shards, 3 copies, 2 front ends, nginx) ...');
  const cluster = await TestCluster.start({ frontends: 2, authOff: true, name: 'bench' });
  let staticNginx: ManagedProcess | undefined;
  let staticDir: string | undefined;
  try {
    const api = { base: cluster.url, auth: {} };
    await createRepo(api, 'bench');
    // A chapter-sized file, in a folder of 20 files.
    const chapter = `# Chapter\n\n${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(40)}\n`;
    for (let i = 0; i < 19; i++) await mustPut(api, 'bench', `book/section-${String(i).padStart(2, '0')}.md`, `section ${i}\n`);
    await mustPut(api, 'bench', 'book/chapter.md', chapter);
    const fileUrl = `${cluster.url}/repos/bench/contents/book/chapter.md`;
    const listUrl = `${cluster.url}/repos/bench/contents/book`;
    const fileBytes = Buffer.from(await (await fetch(fileUrl)).arrayBuffer());
    const listBytes = Buffer.from(await (await fetch(listUrl)).arrayBuffer());
    if (fileBytes.toString('utf8') !== chapter) throw new Error('the file read back differs from what was written');

    // The static twin: same bytes, same nginx binary and worker count, no upstream. Its own
    // world-readable folder: run as root, nginx workers read files as nobody.
    const prefix = mkdtempSync(join(tmpdir(), 'bench-static-nginx-'));
    chmodSync(prefix, 0o755);
    staticDir = prefix;
    const root = join(prefix, 'root');
    mkdirSync(join(prefix, 'tmp'), { recursive: true });
    mkdirSync(join(root, 'book'), { recursive: true });
    writeFileSync(join(root, 'book', 'chapter.md'), fileBytes);
    writeFileSync(join(root, 'book', 'listing.json'), listBytes);
    const staticPort = await freePort();
    writeFileSync(join(prefix, 'nginx.conf'), staticConfig(prefix, staticPort, root));
    const nginxBinary = execFileSync('sh', ['-c', 'command -v nginx || echo /usr/sbin/nginx'], { encoding: 'utf8' }).trim();
    const child = spawn(nginxBinary, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { detached: true, stdio: 'ignore' });
    child.unref();
    staticNginx = { role: 'static-nginx', pid: child.pid!, log: join(prefix, 'error.log'), command: [nginxBinary] };
    const staticBase = `http://127.0.0.1:${staticPort}`;
    await waitForHttp(`${staticBase}/book/chapter.md`, 10_000, () => !isAlive(child.pid!));

    const rows: { name: string; bytes: number; r: Result; cpu?: Record<string, number> }[] = [];
    // Where a request's CPU goes, per group of processes (the load generator runs in this one).
    const pidsOf = (prefix: string) => cluster.state.processes.filter((p) => p.role.startsWith(prefix)).map((p) => p.pid);
    const clusterGroups = (): Groups => ({
      'front ends': pidsOf('frontend-'),
      shards: [...pidsOf('shard-'), ...pidsOf('supervisor')],
      nginx: childrenOf(cluster.process('nginx').pid).map((c) => c.pid),
      autocannon: [process.pid],
    });
    const run = async (name: string, url: string, bytes: number, groups?: Groups): Promise<void> => {
      await autocannon({ url, connections, duration: 2 }); // warm-up: JIT, caches, keep-alive pools
      const count = groups === undefined ? undefined : startCpuCount(groups);
      const r = await autocannon({ url, connections, duration: seconds });
      rows.push({ name, bytes, r, ...(count === undefined ? {} : { cpu: count(r.requests.total) }) });
      say(`  ${name.padEnd(44)} ${r.requests.average.toFixed(0).padStart(7)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  errors ${r.errors + r.non2xx}`);
    };

    say(`load: ${connections} connections, ${seconds} s per target (after 2 s of warm-up)`);
    await run('static nginx: file', `${staticBase}/book/chapter.md`, fileBytes.length);
    await run('static nginx: listing bytes', `${staticBase}/book/listing.json`, listBytes.length);
    const [, second] = cluster.frontendRoles();
    await cluster.setUpstreamDown(second!, true);
    await run('cluster, 1 front end: GET file', fileUrl, fileBytes.length, clusterGroups());
    await run('cluster, 1 front end: GET folder listing', listUrl, listBytes.length, clusterGroups());
    // What the front end costs with no storage at all (nginx -> Node -> engine -> 200): the
    // ceiling for any resource, to read the file GET's ratio against.
    const healthz = `${cluster.url}/healthz`;
    await run('cluster, 1 front end: GET /healthz (no storage)', healthz, (await (await fetch(healthz)).arrayBuffer()).byteLength, clusterGroups());
    await cluster.setUpstreamDown(second!, false);
    await run('cluster, 2 front ends: GET file', fileUrl, fileBytes.length, clusterGroups());
    await run('cluster, 2 front ends: GET folder listing', listUrl, listBytes.length, clusterGroups());

    const ceiling = (name: string) => rows.find((row) => row.name === name)!.r.requests.average;
    say('');
    say(`| target | bytes | req/s | p50 ms | p99 ms | errors | ratio to static |`);
    say('|---|---:|---:|---:|---:|---:|---:|');
    for (const { name, bytes, r } of rows) {
      const base = name.includes('listing') ? ceiling('static nginx: listing bytes') : ceiling('static nginx: file');
      say(`| ${name} | ${bytes} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors + r.non2xx} | ${(r.requests.average / base).toFixed(3)} |`);
    }
    say('');
    say('CPU per request, µs (user + system, all threads; /proc/<pid>/stat):');
    const groups = Object.keys(rows.find((row) => row.cpu !== undefined)!.cpu!);
    say(`| target | ${groups.join(' | ')} | total |`);
    say(`|---|${groups.map(() => '---:|').join('')}---:|`);
    for (const { name, cpu } of rows) {
      if (cpu === undefined) continue;
      const total = Object.values(cpu).reduce((a, b) => a + b, 0);
      say(`| ${name} | ${groups.map((g) => cpu[g]!.toFixed(1)).join(' | ')} | ${total.toFixed(1)} |`);
    }
    const best = rows.filter((row) => row.name.includes('GET file')).sort((a, b) => b.r.requests.average - a.r.requests.average)[0]!;
    const ratio = best.r.requests.average / ceiling('static nginx: file');
    say('');
    const met = ratio >= GOAL_RATIO && best.r.latency.p99 < GOAL_P99_MS;
    say(`goal (file GET >= ${GOAL_RATIO * 100}% of static, p99 < ${GOAL_P99_MS} ms): best is ${best.name} at ${(ratio * 100).toFixed(1)}%, p99 ${best.r.latency.p99} ms: ${met ? 'MET' : 'MISSED'}`);
    // npm run bench (test/bench/run.ts) counts a bench that misses its budget as failed.
    if (!met) process.exitCode = 1;
  } finally {
    if (staticNginx !== undefined) await stopProcess(staticNginx, 'SIGQUIT', 5_000);
    if (staticDir !== undefined) rmSync(staticDir, { recursive: true, force: true });
    if (process.argv.includes('--keep')) say(`cluster left running from ${cluster.dir}: npm run cluster -- stop --dir ${cluster.dir}`);
    else await cluster.stop();
  }
}

await main();
