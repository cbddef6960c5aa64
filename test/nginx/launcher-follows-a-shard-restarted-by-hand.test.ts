/**
 * The launcher follows a shard an operator started again by hand (docs/operations.md: the
 * recorded command line, the folder's secret), not the pid it recorded: `status` sees it alive
 * and goes back to 0, `restart --role shard-s3` stops it and starts the recorded command, and
 * `stop` stops one started by hand even without its pid file (found by its data folder's lock).
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../nginx/cluster-status.js';
import { isAlive, runningPids, waitForHttp } from '../../nginx/processes.js';
import { TestCluster } from '../cluster/helpers/cluster.js';
import { sleep } from '../cluster/helpers/load.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ROLE = 'shard-s3';

/**
 * The launcher's CLI as an operator runs it, bounded. Asynchronous: the cluster's processes are
 * this test's children (TestCluster starts them here), and only a running event loop reaps one
 * that `stop` ended; a zombie would look alive to the CLI.
 */
function cli(dir: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'nginx/cluster-cli.ts'), ...args, '--dir', dir], { encoding: 'utf8', timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null;
      resolvePromise({ status: code, stdout, stderr });
    });
  });
}

/** `status --json` until it exits `code` (bounded); the last answer. */
async function statusUntil(dir: string, code: number, timeoutMs: number): Promise<{ exit: number | null; status: ClusterStatus; text: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await cli(dir, 'status', '--json');
    if (run.status === code || Date.now() > deadline) return { exit: run.status, status: JSON.parse(run.stdout) as ClusterStatus, text: run.stdout };
    await sleep(500);
  }
}

describe('a shard restarted by hand', () => {
  let cluster: TestCluster;
  /** Pids this test started itself, ended in afterAll if still running. */
  const byHand: number[] = [];

  /** What an operator types: the recorded command line (optionally without some flag), the folder's secret in the environment. */
  async function startByHand(drop?: string): Promise<number> {
    const recorded = cluster.process(ROLE);
    const command = [...recorded.command];
    if (drop !== undefined) command.splice(command.indexOf(drop), 2);
    // From a shell that exits at once, as `nohup ... &` does: the shard is nobody's child here
    // (a child of this test would linger as a zombie after it is stopped, which looks alive).
    const secret = readFileSync(join(cluster.dir, 'secret'), 'utf8').trim();
    const shell = spawnSync('sh', ['-c', 'log=$1; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!', 'sh', recorded.log, ...command], { encoding: 'utf8', env: { ...process.env, FS_CLUSTER_SECRET: secret } });
    const pid = Number(shell.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    byHand.push(pid);
    await waitForHttp(`http://127.0.0.1:${recorded.port!}/healthz`, 60_000, () => !isAlive(pid));
    return pid;
  }

  beforeAll(async () => {
    cluster = await TestCluster.start({ frontends: 1, name: 'by-hand' });
  }, 120_000);

  afterAll(async () => {
    for (const pid of byHand) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await cluster?.stop();
  });

  it('status sees it alive (not the dead recorded pid) and goes back to 0', async () => {
    const recorded = cluster.process(ROLE).pid;
    await cluster.kill9(ROLE);
    const dead = await cli(cluster.dir, 'status');
    expect(dead.stdout).toMatch(new RegExp(`${ROLE}\\s+DEAD`));
    expect(dead.status).toBeGreaterThan(0);

    const pid = await startByHand();
    const { exit, status, text } = await statusUntil(cluster.dir, 0, 60_000);
    expect(exit, text).toBe(0);
    const shard = status.processes.find((p) => p.role === ROLE)!;
    expect(shard).toMatchObject({ alive: true, pid: recorded, pids: [pid] });
    expect(status.storage!.shards.s3).toMatchObject({ alive: true, catchingUp: false });
    expect((await cli(cluster.dir, 'status')).stdout).toMatch(new RegExp(`${ROLE}\\s+pid ${pid}\\s.*started again outside the launcher`));
  }, 90_000);

  it('restart --role shard-s3 stops the one started by hand and starts the recorded command', async () => {
    const hand = byHand.at(-1)!;
    const run = await cli(cluster.dir, 'restart', '--role', ROLE);
    expect(run.status, run.stderr).toBe(0);
    expect(isAlive(hand)).toBe(false);
    const next = cluster.process(ROLE);
    expect(next.pid).not.toBe(hand);
    expect(isAlive(next.pid)).toBe(true);
    const { exit, status, text } = await statusUntil(cluster.dir, 0, 60_000);
    expect(exit, text).toBe(0);
    expect(status.processes.find((p) => p.role === ROLE)).toMatchObject({ alive: true, pids: [next.pid] });
  }, 90_000);

  it('stop stops one started by hand without its pid file: its data folder\'s lock names it', async () => {
    await cluster.kill9(ROLE);
    const pid = await startByHand('--pid-file');
    const seen = await statusUntil(cluster.dir, 0, 60_000);
    expect(seen.status.processes.find((p) => p.role === ROLE)).toMatchObject({ alive: true, pids: [pid] });

    const run = await cli(cluster.dir, 'stop');
    expect(run.status, run.stderr).toBe(0);
    expect(isAlive(pid)).toBe(false);
    for (const p of cluster.state.processes) expect({ role: p.role, running: runningPids(p) }).toEqual({ role: p.role, running: [] });
    const after = await cli(cluster.dir, 'status');
    expect(after.status).toBe(3);
  }, 120_000);
});
