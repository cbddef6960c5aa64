import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

/** A process the launcher started: enough to find, watch and stop it from another shell. */
export interface ManagedProcess {
  role: string;
  pid: number;
  port?: number;
  log: string;
  command: string[];
  /** The variables it was started with beyond the launcher's own (secrets excluded), for restarts. */
  env?: Record<string, string>;
}

/** Starts a detached child whose output goes to `log`; it outlives the launcher. */
export function startDetached(role: string, command: string[], log: string, env: NodeJS.ProcessEnv, port?: number, ownEnv?: Record<string, string>): ManagedProcess {
  const out = openSync(log, 'a');
  try {
    const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', out, out], env });
    if (child.pid === undefined) throw new Error(`could not start ${role}: ${command.join(' ')}`);
    child.unref();
    return { role, pid: child.pid, log, command, ...(port === undefined ? {} : { port }), ...(ownEnv === undefined ? {} : { env: ownEnv }) };
  } finally {
    closeSync(out);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILL. Only pids we recorded. */
export async function stopProcess(p: ManagedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(p.pid)) return 'not-running';
  try {
    process.kill(p.pid, signal);
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(p.pid)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    // exited between the check and the kill
  }
  return 'killed';
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200 or the deadline passes. */
export async function waitForHttp(url: string, timeoutMs: number, isDead?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (isDead?.()) throw new Error(`process behind ${url} exited while starting`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(150);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}
