/**
 * Micro-benchmark (not a test): requests per second of a trivial resource served through the
 * webmachine engine versus the same handler in plain Express, in one run.
 *
 *   npx tsx test/bench/webmachine.ts [--rounds 7] [--seconds 4] [--connections 50]
 *
 * The servers run in a child process (this file with --serve) so the load generator does not
 * compete with them on the event loop; autocannon (programmatic API) drives 127.0.0.1 with one
 * target at a time, rotating the order every round. Targets: plain Express (res.send, which also
 * computes an ETag), plain Express with the ETag off, and the engine mounted on Express; beside them
 * a plain Node handler and the engine called from a plain Node server (`handle`, as the
 * repo-server's route table calls it), which show what Express itself costs. The table shows medians of
 * requests/s, and the server's CPU time per request (read from the server process before and
 * after each round; the least disturbed round, i.e. the minimum, is reported): on a shared machine
 * the req/s figures swing with the neighbours' load, the best-round CPU per request much less.
 * Goal: the engine costs no more than 15% throughput; the script exits non-zero when both
 * measures put it over.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, get } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express from 'express';
import { createEngineServer, engineOptions, handle, Resource, resource } from '../../webmachine/index.js';
import type { ContentTypesProvided } from '../../webmachine/index.js';

const BODY = 'hello, world\n';
const GOAL = 0.15;

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<AutocannonResult>;
/** What curl sends; a browser's longer Accept costs the engine's negotiation a little more. */
const HEADERS = { accept: '*/*', 'user-agent': 'bench' };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** The trivial resource: GET/HEAD, one text/plain representation, every other callback default. */
class Hello extends Resource {
  override contentTypesProvided(): ContentTypesProvided {
    return [['text/plain', () => BODY]];
  }
}

type Ports = Record<'express' | 'lean' | 'webmachine' | 'node' | 'bare' | 'control', number>;

async function serve(): Promise<void> {
  const handler = (_req: express.Request, res: express.Response): void => {
    res.type('text/plain').send(BODY);
  };
  // Plain Express as it comes (res.send computes a weak ETag), and with the ETag turned off.
  const plain = express();
  plain.get('/hello', handler);
  const lean = express();
  lean.set('etag', false);
  lean.get('/hello', handler);
  const engine = express();
  engine.get('/hello', resource((init) => new Hello(init)));
  // The control server reports the process's CPU time, so each round can be charged with the
  // CPU the servers spent per request (only one target is under load at a time).
  const control = createServer((_req, res) => {
    const { user, system } = process.cpuUsage();
    res.end(JSON.stringify({ micros: user + system }));
  });
  // Without Express: a plain Node handler, and the engine called directly.
  const node = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(BODY));
    res.end(BODY);
  });
  const opts = engineOptions();
  const bare = createEngineServer((req, res) => void handle((init) => new Hello(init), req, res, {}, opts));
  const servers = [plain.listen(0, '127.0.0.1'), lean.listen(0, '127.0.0.1'), createEngineServer(engine).listen(0, '127.0.0.1'), node.listen(0, '127.0.0.1'), bare.listen(0, '127.0.0.1'), control.listen(0, '127.0.0.1')];
  await Promise.all(servers.map((s) => once(s, 'listening')));
  const [p, l, w, n, b, c] = servers.map((s) => (s.address() as AddressInfo).port);
  const ports: Ports = { express: p!, lean: l!, webmachine: w!, node: n!, bare: b!, control: c! };
  process.stdout.write(`${JSON.stringify(ports)}\n`);
  process.on('SIGTERM', () => process.exit(0));
}

/** CPU microseconds the server process has used so far. */
function serverCpu(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += String(chunk)));
      res.on('end', () => resolve((JSON.parse(text) as { micros: number }).micros));
    }).on('error', reject);
  });
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function startServers(): Promise<{ child: ChildProcess; ports: Ports }> {
  const child = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let buffered = '';
  for await (const chunk of child.stdout!) {
    buffered += String(chunk);
    if (buffered.includes('\n')) break;
  }
  return { child, ports: JSON.parse(buffered.split('\n')[0]!) as Ports };
}

async function main(): Promise<void> {
  const rounds = arg('rounds', 7);
  const duration = arg('seconds', 4);
  const connections = arg('connections', 50);
  const { child, ports } = await startServers();
  try {
    const targets = [
      { name: 'plain Express', url: `http://127.0.0.1:${ports.express}/hello` },
      { name: 'plain Express, ETag off', url: `http://127.0.0.1:${ports.lean}/hello` },
      { name: 'webmachine engine', url: `http://127.0.0.1:${ports.webmachine}/hello` },
      { name: 'plain Node handler', url: `http://127.0.0.1:${ports.node}/hello` },
      { name: 'engine without Express', url: `http://127.0.0.1:${ports.bare}/hello` },
    ];
    for (const t of targets) await autocannon({ url: t.url, connections, duration: 2, headers: HEADERS }); // warm-up (JIT)
    const rps = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const p99 = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const cpu = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order so no target always runs first or last.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const t of order) {
        const cpuBefore = await serverCpu(ports.control);
        const r = await autocannon({ url: t.url, connections, duration, headers: HEADERS });
        const perRequest = ((await serverCpu(ports.control)) - cpuBefore) / r.requests.total;
        if (r.errors > 0 || r.non2xx > 0) throw new Error(`${t.name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
        rps.get(t.name)!.push(r.requests.average);
        p99.get(t.name)!.push(r.latency.p99);
        cpu.get(t.name)!.push(perRequest);
        console.log(`round ${round}/${rounds}  ${t.name.padEnd(24)} ${r.requests.average.toFixed(0).padStart(7)} req/s  p99 ${String(r.latency.p99).padStart(4)} ms  server CPU ${perRequest.toFixed(1)} us/req`);
      }
    }
    const base = median(rps.get('plain Express')!);
    const lean = median(rps.get('plain Express, ETag off')!);
    const engine = median(rps.get('webmachine engine')!);
    console.log('');
    console.log(`${rounds} rounds of ${duration} s, ${connections} connections, GET /hello with Accept: */* (${Buffer.byteLength(BODY)} bytes text/plain)`);
    const best = (name: string): number => Math.min(...cpu.get(name)!);
    const cpuBase = best('plain Express');
    const cpuEngine = best('webmachine engine');
    console.log('| target | median req/s | req/s relative to plain Express | median p99 latency (ms) | server CPU, best round (us/req) | CPU capacity relative to plain Express |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const t of targets) {
      const m = median(rps.get(t.name)!);
      const c = best(t.name);
      console.log(`| ${t.name} | ${m.toFixed(0)} | ${(m / base).toFixed(3)} | ${median(p99.get(t.name)!).toFixed(1)} | ${c.toFixed(1)} | ${(cpuBase / c).toFixed(3)} |`);
    }
    const cost = 1 - engine / base;
    // Requests/s a CPU-bound server can do is 1 / (CPU per request): the cost that contention on a
    // shared machine does not blur.
    const cpuCost = 1 - cpuBase / cpuEngine;
    const verdict = (c: number): string => (c <= GOAL ? 'OK' : 'OVER BUDGET');
    console.log('');
    console.log(`throughput: engine / plain Express = ${(engine / base).toFixed(3)}, cost ${(cost * 100).toFixed(1)}% (goal <= ${GOAL * 100}%): ${verdict(cost)}`);
    console.log(`CPU per request: engine ${cpuEngine.toFixed(1)} us vs plain Express ${cpuBase.toFixed(1)} us, capacity cost ${(cpuCost * 100).toFixed(1)}%: ${verdict(cpuCost)}`);
    console.log(`(against plain Express with ETag off: throughput cost ${((1 - engine / lean) * 100).toFixed(1)}%, CPU capacity cost ${((1 - best('plain Express, ETag off') / cpuEngine) * 100).toFixed(1)}%)`);
    const cpuNode = best('plain Node handler');
    const cpuBare = best('engine without Express');
    console.log(`without Express: plain Node ${cpuNode.toFixed(1)} us, engine ${cpuBare.toFixed(1)} us per request (the decision flow itself: ${(cpuBare - cpuNode).toFixed(1)} us); Express adds ${(cpuEngine - cpuBare).toFixed(1)} us`);
    // Over budget only when both measures say so: on a busy machine the req/s medians alone flap.
    if (cost > GOAL && cpuCost > GOAL) process.exitCode = 1;
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
