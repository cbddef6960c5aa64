import { resolve } from 'node:path';
import { inspectCluster, type ClusterHealth } from '../fs-service/index.js';
import { processStatuses, readState, type ClusterState, type ProcessStatus } from './cluster.js';
import { vipHolders } from './netns.js';

/**
 * What `npm run cluster -- status` answers, and its exit code:
 *   0 healthy    every process runs, every vbucket has every copy in sync
 *   1 degraded   still serving reads and writes, but something is down or behind (a process,
 *                a copy short or catching up, no supervisor leading, storage not inspectable)
 *   2 read-only  writes are refused somewhere: at least one vbucket takes no writes
 *   3 down       the front door does not serve (nginx or every front end), or storage cannot
 *                serve at all (no map, no shard alive)
 */
export type Verdict = 'healthy' | 'degraded' | 'read-only' | 'down';
export const EXIT_CODES: Record<Verdict, number> = { healthy: 0, degraded: 1, 'read-only': 2, down: 3 };

export interface ClusterStatus {
  url: string;
  verdict: Verdict;
  exitCode: number;
  /** Why the verdict is not healthy, one line each. */
  reasons: string[];
  /** nginx's answer to /readyz (through it, a front end's): the front door serves. */
  frontDoor: { ready: boolean; status: number | null; error?: string; vip?: string; vipHolders?: string[] };
  processes: ProcessStatus[];
  /** Storage as the supervisors (or etcd and the shards) see it; null when nobody answered. */
  storage: (ClusterHealth & { source: string; leader?: { name: string } | null }) | null;
}

async function frontDoor(url: string): Promise<ClusterStatus['frontDoor']> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) });
    await res.arrayBuffer();
    return { ready: res.status === 200, status: res.status };
  } catch (err) {
    return { ready: false, status: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The supervisors' view (any of them answers /status); else etcd and the shards, read directly. */
async function storageHealth(state: ClusterState): Promise<ClusterStatus['storage']> {
  for (const url of state.supervisorUrls) {
    try {
      const res = await fetch(`${url}/status`, { headers: { authorization: `Bearer ${state.secret}` }, signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return { ...((await res.json()) as ClusterHealth & { leader: { name: string } | null }), source: url };
    } catch {
      // the next one
    }
  }
  try {
    return { ...(await inspectCluster({ etcd: state.etcd, secret: state.secret, timeoutMs: 2_000 })), source: 'etcd' };
  } catch {
    return null;
  }
}

/** The verdict and its reasons, from the processes, the front door and storage. */
export function judge(processes: ProcessStatus[], door: ClusterStatus['frontDoor'], storage: ClusterStatus['storage']): { verdict: Verdict; reasons: string[] } {
  const down: string[] = [];
  const readOnly: string[] = [];
  const degraded: string[] = [];
  if (!door.ready) down.push(`the front door does not serve: /readyz through nginx answered ${door.status ?? door.error ?? 'nothing'}`);
  for (const p of processes) if (!p.alive) degraded.push(`${p.role} is not running`);
  if (storage === null) degraded.push('storage cannot be inspected: no supervisor and no etcd member answered');
  else {
    const shards = Object.entries(storage.shards);
    if (storage.mapMissing) down.push('no cluster map in etcd');
    else if (!shards.some(([, s]) => s.alive)) down.push('no shard is alive');
    if (storage.readOnly.length > 0) readOnly.push(`${storage.readOnly.length} vbuckets take no writes: ${vbucketList(storage.readOnly.map((r) => r.vb))}`);
    const stopped = new Set(processes.filter((p) => !p.alive).map((p) => p.role));
    for (const [id, s] of shards) {
      // A shard process that is not running is said once, above.
      if (!s.alive && !stopped.has(`shard-${id}`)) degraded.push(`shard ${id} is not registered in etcd (dead to the cluster)`);
      else if (s.catchingUp) degraded.push(`shard ${id} is catching up (${s.behind} vbuckets behind)`);
    }
    if (storage.shortOfCopy.length > 0) degraded.push(`${storage.shortOfCopy.length} vbuckets are short of a copy`);
    if (storage.leader === null) degraded.push('no supervisor leads: no failover until one does');
  }
  const reasons = [...down, ...readOnly, ...degraded];
  const verdict: Verdict = down.length > 0 ? 'down' : readOnly.length > 0 ? 'read-only' : degraded.length > 0 ? 'degraded' : 'healthy';
  return { verdict, reasons };
}

export async function clusterStatus(dir: string): Promise<ClusterStatus> {
  const state = readState(resolve(dir));
  if (state === null) throw new Error(`no cluster state in ${resolve(dir)}`);
  const processes = processStatuses(state);
  const [answer, storage] = await Promise.all([frontDoor(state.url), storageHealth(state)]);
  // The HA front door: which node's namespace holds the virtual IP (two only for the seconds of a takeover).
  const door = state.frontDoor === undefined ? answer : { ...answer, vip: state.frontDoor.vip, vipHolders: vipHolders(state.frontDoor) };
  const { verdict, reasons } = judge(processes, door, storage);
  return { url: state.url, verdict, exitCode: EXIT_CODES[verdict], reasons, frontDoor: door, processes, storage };
}

/** 0-5, 9, 12-20: vbucket numbers as ranges. */
export function vbucketList(vbs: number[]): string {
  const sorted = [...new Set(vbs)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The status as lines for a terminal (docs/operations.md explains each one). */
export function statusText(s: ClusterStatus): string[] {
  const lines = [`cluster at ${s.url}: ${s.verdict.toUpperCase()} (exit ${s.exitCode})`];
  for (const reason of s.reasons) lines.push(`  - ${reason}`);
  lines.push(`front door: ${s.frontDoor.ready ? 'ready' : 'NOT ready'} (/readyz through nginx: ${s.frontDoor.status ?? s.frontDoor.error ?? '-'})`);
  if (s.frontDoor.vip !== undefined) lines.push(`  virtual IP ${s.frontDoor.vip} held by ${s.frontDoor.vipHolders?.join(' and ') || 'NO node'}`);
  lines.push('processes:');
  for (const p of s.processes) {
    const by = p.pids.length === 0 ? '' : p.pids.includes(p.pid) ? '' : ` (started again outside the launcher; it started ${p.pid})`;
    lines.push(`  ${p.role.padEnd(14)} ${p.alive ? `pid ${p.pids.join(',')}`.padEnd(14) : 'DEAD'.padEnd(14)} ${p.port === undefined ? '' : `port ${p.port}`}${by}`);
  }
  const st = s.storage;
  if (st === null) {
    lines.push('storage: unknown (no supervisor and no etcd member answered)');
    return lines;
  }
  lines.push(`storage: map epoch ${st.epoch}, seen by ${st.source}${st.leader === undefined ? '' : `, leader ${st.leader?.name ?? 'NONE'}`}`);
  for (const [id, sh] of Object.entries(st.shards)) {
    const state = !sh.alive ? 'DEAD' : !sh.trusted ? 'restarted, not yet vouched for' : 'alive';
    let copies = 'every copy in sync';
    if (!sh.alive) copies = '';
    else if (sh.catchingUp) {
      const p = sh.progress;
      const progress = p === null || p.running === 0 ? 'not started' : `${p.running} running, ${p.files.done}/${p.files.total} files, ${mb(p.bytes.done)}/${mb(p.bytes.total)}`;
      copies = `catching up: ${sh.behind} of ${sh.holds} vbuckets behind (${progress})`;
    }
    lines.push(`  shard ${id.padEnd(6)} ${state.padEnd(6)} primary of ${String(sh.primaryOf).padStart(3)} vbuckets, holds ${String(sh.holds).padStart(3)}${copies === '' ? '' : `; ${copies}`}`);
  }
  if (st.readOnly.length === 0) lines.push('  read-only vbuckets: none');
  else {
    const byCause = new Map<string, number[]>();
    for (const r of st.readOnly) byCause.set(r.cause, [...(byCause.get(r.cause) ?? []), r.vb]);
    lines.push(`  read-only vbuckets: ${st.readOnly.length}`);
    for (const [cause, vbs] of byCause) lines.push(`    ${cause}: ${vbucketList(vbs)}`);
  }
  if (st.shortOfCopy.length === 0) lines.push('  short of a copy: none');
  else {
    const byShard = new Map<string, number>();
    for (const r of st.shortOfCopy) for (const id of r.missing) byShard.set(id, (byShard.get(id) ?? 0) + 1);
    lines.push(`  short of a copy: ${st.shortOfCopy.length} vbuckets (${[...byShard].map(([id, n]) => `${id}: ${n}`).join(', ')})`);
  }
  const f = st.lastFailover;
  if (f === null) lines.push('  last failover: none');
  else {
    const took = f.durationMs === null ? `${f.waiting} of ${f.vbuckets} still waiting for a primary` : `new primaries after ${f.durationMs} ms`;
    lines.push(`  last failover: ${f.startedAt}, lost ${f.lost.join(', ')}: ${f.vbuckets} vbuckets, ${took}`);
  }
  return lines;
}
