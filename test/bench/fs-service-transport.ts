/**
 * Which transport for client <-> shard? Measures the same read of the same disk engine over
 *   (a) HTTP/1.1 with a keep-alive agent (one request per socket at a time), and
 *   (b) one multiplexed WebSocket per shard with request ids (what fs-service uses),
 * sequentially (latency) and with 32 requests in flight (throughput), on 127.0.0.1.
 *
 *   npx tsx test/bench/fs-service-transport.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskEngine } from '../../fs-service/engine/disk-engine.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { vbucketOf } from '../../fs-service/control/vbucket-map.js';
import { ClusterHarness } from '../fs-service/cluster-harness.js';

const SEQUENTIAL = 2_000;
const CONCURRENT = 4_000;
const IN_FLIGHT = 32;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(label: string, once: () => Promise<unknown>): Promise<string> {
  for (let i = 0; i < 200; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    await once();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < CONCURRENT) await once();
    }),
  );
  const perSecond = CONCURRENT / ((performance.now() - t) / 1000);
  return `| ${label.padEnd(34)} | ${percentile(samples, 50).toFixed(3)} | ${percentile(samples, 99).toFixed(3)} | ${Math.round(perSecond).toString().padStart(6)} |`;
}

/** Child mode: an HTTP/1.1 server over the same engine. */
async function serveHttp(dataDir: string): Promise<void> {
  const engine = await DiskEngine.open(dataDir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const repo = url.searchParams.get('repo')!;
    engine
      .repo(vbucketOf(repo), repo)
      .readFile(url.searchParams.get('path'))
      .then(
        (data) => res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length }).end(data),
        (err: { code?: string }) => res.writeHead(404).end(err.code ?? 'EIO'),
      );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(JSON.stringify({ event: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 }) + '\n');
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--http-server') return serveHttp(process.argv[3]!);
  const root = mkdtempSync(join(tmpdir(), 'fs-transport-'));
  const cluster = new ClusterHarness(join(root, 'cluster'));
  const children: number[] = [];
  try {
    await cluster.startShard('s1');
    await cluster.startSupervisor({ replicas: 1 });
    const storage = await cluster.connect();
    const payloads = { small: Buffer.alloc(64, 1), large: Buffer.alloc(256 * 1024, 2) };
    for (const [name, data] of Object.entries(payloads)) await storage.repo('bench').fs.promises.writeFile(`/refs/${name}`, data);
    const map = storage.map;
    await storage.close();

    // The HTTP server reads the very same files (the shard keeps serving; reads need no lock).
    const http = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--http-server', join(root, 'http')], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(http.pid!);
    const port = await new Promise<number>((resolve) => http.stdout.on('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString().split('\n')[0]!) as { port: number }).port)));
    // Give the HTTP engine its own copy of the files.
    await cp(join(cluster.shards.get('s1')!.dataDir, String(vbucketOf('bench')).padStart(3, '0')), join(root, 'http', String(vbucketOf('bench')).padStart(3, '0')), { recursive: true });

    const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
    const httpRead = (path: string) =>
      new Promise<Buffer>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, agent, path: `/read?repo=bench&path=${encodeURIComponent(path)}` }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        });
        req.on('error', reject);
        req.end();
      });
    const ws = new ShardConnection(`127.0.0.1:${cluster.shards.get('s1')!.port}`, cluster.secret);
    const wsRead = (path: string) => ws.request({ op: 'readFile', vb: vbucketOf('bench'), epoch: map.epoch, repo: 'bench', path });

    const rows = [
      await measure('HTTP/1.1 keep-alive, 64 B', () => httpRead('/refs/small')),
      await measure('WebSocket multiplexed, 64 B', () => wsRead('/refs/small')),
      await measure('HTTP/1.1 keep-alive, 256 KiB', () => httpRead('/refs/large')),
      await measure('WebSocket multiplexed, 256 KiB', () => wsRead('/refs/large')),
    ];
    process.stdout.write(['', '| transport, read size                | p50 ms | p99 ms | reads/s at 32 in flight |', '| --- | ---: | ---: | ---: |', ...rows, ''].join('\n'));
    ws.close();
    agent.destroy();
  } finally {
    for (const pid of children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await cluster.stopAll();
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
