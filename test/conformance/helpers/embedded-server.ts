import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The embedded server as an operator runs it (`tsx repo-server/main.ts`), in a child process on a
 * free port with a temporary data directory and decision traces on. Started through node's
 * --import hook rather than the tsx binary, so the pid is the server itself and killing it by pid
 * leaves nothing behind.
 */
export interface EmbeddedServer {
  url: string;
  /** The admin token the server prints on first start, when access control is on. */
  token?: string;
  /** The credential its /metrics asks for (METRICS_TOKEN). */
  metricsToken: string;
  maxBodyBytes: number;
  stop(): Promise<void>;
}

/** Small, so the chunked 413 case only streams a little over a mebibyte. */
const MAX_BODY_BYTES = 1024 * 1024;
const TOKEN = /crt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/;

/** A port nothing listens on right now (the OS picks it; the probe closes at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not answer /healthz within 60 s:\n${output()}`);
}

/** `dataDir`: a data folder prepared by the caller (removed on stop); `env`: more environment. */
export async function startEmbeddedServer(opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<EmbeddedServer & { pid: number }> {
  const port = await freePort();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'conformance-data-'));
  const metricsToken = randomBytes(24).toString('base64url');
  const child = spawn(process.execPath, ['--import', 'tsx', 'repo-server/main.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, METRICS_TOKEN: metricsToken, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, DECISION_TRACE: '1', LOG_LEVEL: 'warn', MAX_BODY_BYTES: String(MAX_BODY_BYTES), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(url, child, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  // The token is printed just after the server starts listening; a server without access control
  // says so in its log instead. Either way, wait a moment for the line.
  for (let i = 0; i < 50 && !TOKEN.test(output) && !/access control is OFF/.test(output); i++) await new Promise((r) => setTimeout(r, 100));
  const token = TOKEN.exec(output)?.[0];
  return { url, pid: child.pid as number, metricsToken, maxBodyBytes: MAX_BODY_BYTES, stop, ...(token === undefined ? {} : { token }) };
}
