/**
 * Benchmark (not a test) of the REST API on the embedded server: GET contents of a file (warm)
 * and PUT contents (one commit each), with requests/s, p50 and p99, and a note of the hardware.
 *
 *   npx tsx test/bench/rest-api.ts [--seconds 10] [--get-connections 10] [--put-connections 4]
 *
 * One process, as `npm start` runs: startServer over openEmbeddedStorage on a temp directory,
 * access control off (config `auth: false`). autocannon drives 127.0.0.1 from the same process,
 * so the figures include the load generator's share of the event loop: they are a floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStorage } from '../../fs-service/index.js';
import { loadConfig } from '../../repo-server/config.js';
import { createLogger } from '../../repo-server/observability/logger.js';
import { startServer } from '../../repo-server/server.js';

interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
}

type Autocannon = (opts: { url: string; connections: number; duration: number; requests?: AutocannonRequest[]; headers?: Record<string, string> }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function check(res: Response, expected: number[], what: string): Promise<void> {
  if (!expected.includes(res.status)) throw new Error(`${what}: ${res.status} ${await res.text()}`);
}

function row(name: string, connections: number, r: AutocannonResult): string {
  const ok = r['2xx'];
  return `| ${name} | ${connections} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${ok} | ${r.non2xx + r.errors + r.timeouts} |`;
}

async function main(): Promise<void> {
  const seconds = arg('seconds', 10);
  const getConnections = arg('get-connections', 10);
  const putConnections = arg('put-connections', 4);
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-rest-'));
  const logger = createLogger('silent');
  const storage = await openEmbeddedStorage(dir, { logger });
  const server = await startServer({ ...loadConfig([], {}), host: '127.0.0.1', port: 0, dataDir: dir, logLevel: 'silent', auth: false, rateLimits: undefined }, storage, logger);
  try {
    const base = server.url;
    await check(await fetch(`${base}/repos/bench`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' }), [201], 'create repository');
    const page = `# Chapter\n\n${'A paragraph of a chapter, long enough to be a real page. '.repeat(60)}\n`;
    await check(await fetch(`${base}/repos/bench/contents/book/chapter.md?message=seed`, { method: 'PUT', headers: { 'Content-Type': 'text/markdown' }, body: page }), [201], 'seed file');

    const get: AutocannonRequest[] = [{ method: 'GET', path: '/repos/bench/contents/book/chapter.md', headers: { 'Accept-Encoding': 'identity' } }];
    await autocannon({ url: base, connections: getConnections, duration: 2, requests: get }); // warm-up: JIT and caches
    const getResult = await autocannon({ url: base, connections: getConnections, duration: seconds, requests: get });

    let n = 0;
    const put: AutocannonRequest[] = [
      {
        method: 'PUT',
        headers: { 'Content-Type': 'text/markdown' },
        // A different file per in-flight request (so no two conflict) and new bytes each time (a real commit).
        setupRequest: (req) => {
          n += 1;
          return { ...req, path: `/repos/bench/contents/book/put-${n % 64}.md?message=bench%20${n}`, body: `revision ${n}\n${page}` };
        },
      },
    ];
    const putResult = await autocannon({ url: base, connections: putConnections, duration: seconds, requests: put });

    const historyResponse = await fetch(`${base}/repos/bench/commits?per_page=1`);
    if (historyResponse.status !== 200) throw new Error(`history after the PUT run: ${historyResponse.status} ${await historyResponse.text()}`);
    const history = (await historyResponse.json()) as { commits: { id: string }[] };
    const cpus = os.cpus();
    const lines = [
      `REST API on the embedded server (one process, autocannon in-process, ${seconds} s per run, node ${process.version})`,
      `hardware: ${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.platform()} ${os.release()}`,
      '',
      '| operation | connections | requests/s | p50 ms | p99 ms | 2xx | errors/non-2xx |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      row('GET contents (file, warm)', getConnections, getResult),
      row('PUT contents (one commit each)', putConnections, putResult),
      '',
      `head after the PUT run: ${history.commits[0]?.id ?? '(none)'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await server.close(1000);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
