import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript } from './run-script.js';

/**
 * The nginx cluster as an operator starts it (`npm run cluster -- start`): nginx in front of two
 * front ends over three shards, decision traces on, a 1 MiB body limit. Read back from the
 * launcher's state file (its public output), so no cluster code is imported; stopped with
 * `npm run cluster -- stop`, then by killing any pid that file lists that is still alive.
 */
export interface Cluster {
  url: string;
  token: string;
  maxBodyBytes: number;
  stop(): Promise<void>;
}

interface StateFile {
  url: string;
  adminTokenFile: string;
  processes: { role: string; pid: number }[];
}

const MAX_BODY_BYTES = 1024 * 1024;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killAll(pids: readonly number[]): Promise<void> {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export async function startCluster(port: number): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-cluster-'));
  const started = await runScript('nginx/cluster-cli.ts', ['start', '--dir', dir, '--port', String(port), '--trace', '--max-body-bytes', String(MAX_BODY_BYTES), '--frontends', '2', '--shards', '3', '--copies', '2']);
  let state: StateFile | undefined;
  try {
    state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as StateFile;
  } catch {
    // no state: nothing was started, or the launcher failed before writing it
  }
  const pids = state?.processes.map((p) => p.pid) ?? [];
  const stop = async (): Promise<void> => {
    // As an operator stops it (which also removes nginx's temp folder), then whatever survived.
    if (state !== undefined) await runScript('nginx/cluster-cli.ts', ['stop', '--dir', dir]);
    await killAll(pids);
    rmSync(dir, { recursive: true, force: true });
  };
  if (started.code !== 0 || state === undefined) {
    await stop();
    throw new Error(`the cluster did not start (exit ${started.code}):\n${started.output}`);
  }
  return { url: state.url, token: readFileSync(state.adminTokenFile, 'utf8').trim(), maxBodyBytes: MAX_BODY_BYTES, stop };
}
