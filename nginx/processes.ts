import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { livePid } from '../fs-service/index.js';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A process the launcher started: enough to find, watch and stop it from another shell. */
export interface ManagedProcess {
  role: string;
  /** The pid the launcher started (a process restarted by hand or by a unit has another: see runningPids). */
  pid: number;
  port?: number;
  log: string;
  command: string[];
  /** The variables it was started with beyond the launcher's own (secrets excluded), for restarts. */
  env?: Record<string, string>;
  /** The pid file the process writes itself (and removes at exit). */
  pidFile?: string;
  /** A pid file its data folder's lock is (a shard's `.lock`): whoever holds it. */
  dataLock?: string;
  /** A file the process holds an flock on (etcd's `member/snap/db`): whoever holds it. */
  flockFile?: string;
}

/** Where each process of a launcher folder writes its pid file. */
export const pidFileOf = (dir: string, role: string): string => join(dir, 'run', `${role}.pid`);

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

/**
 * The processes that are this role now, however they were started: the pid in its pid file, the
 * holder of its data folder's lock, and the pid the launcher recorded while it still runs the
 * recorded command. Never a pid that now belongs to another program (pid files are checked
 * against the process's age, recorded pids against the command line).
 */
export function runningPids(p: ManagedProcess): number[] {
  const pids = new Set<number>();
  for (const file of [p.pidFile, p.dataLock]) {
    const pid = file === undefined ? null : livePid(file);
    if (pid !== null) pids.add(pid);
  }
  const holder = p.flockFile === undefined ? null : flockHolder(p.flockFile);
  if (holder !== null) pids.add(holder);
  if (runsCommand(p.pid, p.command)) pids.add(p.pid);
  return [...pids];
}

/** True when `pid` runs exactly `command` (its /proc/<pid>/cmdline). */
function runsCommand(pid: number, command: string[]): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    return argv.length === command.length && argv.every((arg, i) => arg === command[i]);
  } catch {
    return false;
  }
}

/** The process holding an flock on `file` (Linux /proc/locks), or null. */
export function flockHolder(file: string): number | null {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return null;
  }
  // /proc/locks names the file by major:minor:inode, the device numbers in hex.
  const major = (stats.dev >> 8) & 0xfff;
  const minor = (stats.dev & 0xff) | ((stats.dev >> 12) & 0xfff00);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${stats.ino}`;
  for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === 'FLOCK' && fields[5] === id) {
      const pid = Number(fields[4]);
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
    }
  }
  return null;
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

/**
 * Stops every process that is this role now (runningPids): sends `signal`, waits up to `graceMs`
 * for each to exit, then SIGKILL. Only processes found through what the role records.
 */
export async function stopProcess(p: ManagedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<'stopped' | 'killed' | 'not-running'> {
  const results = await Promise.all(runningPids(p).map((pid) => stopPid(pid, signal, graceMs)));
  return results.includes('killed') ? 'killed' : results.includes('stopped') ? 'stopped' : 'not-running';
}

async function stopPid(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  try {
    process.kill(pid, signal);
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
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
