/**
 * The compiled server as production runs it: `<node> dist/repo-server/main.js` (what `npm start`
 * and the service units start), embedded storage in a data folder of its own, a port the OS picks
 * on the loopback, and a PATH with none of node_modules/.bin (no tsx, no vitest).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIsStale } from '../../../scripts/stale.mjs';

export const ROOT = process.cwd();
/** A PATH with the system's node and git, and none of node_modules/.bin. */
export const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface CompiledServer {
  child: ChildProcess;
  url: string;
  /** The admin token the first start wrote to the data folder. */
  token: string;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then how the process ended (SIGKILL after 15 s, which the caller's checks then see). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The test command builds first (scripts/test.sh); a test run alone builds when dist/ is stale. */
export function buildWhenStale(): void {
  if (buildIsStale(ROOT)) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
}

/** Started in `dir` (its HOME too) with data in `dir`/data; resolves once it logged its URL. */
export async function startCompiledServer(node: string, dir: string, nodeFlags: string[] = []): Promise<CompiledServer> {
  const child = spawn(node, [...nodeFlags, join(ROOT, 'dist', 'repo-server', 'main.js'), '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'data')], {
    cwd: dir,
    env: { PATH: SYSTEM_PATH, HOME: dir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen = '';
  child.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the compiled server (${node}) did not say it listens within 30 s:\n${seen}`)), 30_000);
    const look = () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(seen);
      if (m === null) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve(m[1]!);
    };
    child.stdout!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the compiled server (${node}) exited (${code ?? signal}):\n${seen}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const end = await exited;
    clearTimeout(timer);
    return end;
  };
  return { child, url, token: readFileSync(join(dir, 'data', 'admin-token'), 'utf8').trim(), output: () => seen, stop };
}
