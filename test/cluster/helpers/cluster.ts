/**
 * A whole cluster for one test file: real etcd, shards, supervisors, front ends and nginx started
 * by the launcher (startCluster) in a temp folder on free ports, plus what the fault tests need
 * around it: killing, pausing and restarting recorded processes (only pids from state.json), the
 * supervisors' admin API, and per-copy digests of a repository read straight from the shard data
 * folders.
 */
import { setUpstreamDown } from '../../../nginx/index.js';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frontendAddress, readState, restartFrontend, startCluster, statePath, stopCluster, type ClusterState } from '../../../nginx/cluster.js';
import { freePort, isAlive, startDetached, waitForHttp, type ManagedProcess } from '../../../nginx/processes.js';
import { vbucketOf, type ClusterHealth, type ClusterMap } from '../../../fs-service/index.js';
import { vbucketDirName } from '../../../fs-service/control/vbucket-map.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventuallyTrue(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve().then(check).catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

/** A supervisor's /status: the cluster's health and who leads. */
export type SupervisorStatus = ClusterHealth & { leader: { name: string; adminUrl: string | null } | null };

export interface CopyDigest {
  shard: string;
  digest: string;
  /** path -> what was hashed, to name the differences when digests disagree. */
  entries: Map<string, string>;
}

/** One line of the template's JSON access log. */
export interface AccessEntry {
  time: string;
  request_id: string;
  method: string;
  uri: string;
  status: number;
  upstream: string;
  upstream_status: string;
}

export interface ClusterOptions {
  frontends: number;
  /** etcd members (1). */
  etcdMembers?: number;
  /** Front ends without access control (load tests only). */
  authOff?: boolean;
  /** Tag for the temp folder, to find a failed run's logs. */
  name: string;
  /** Front-door nodes (2: the HA front door in network namespaces); absent, one nginx on loopback. */
  frontDoors?: number;
}

export class TestCluster {
  private constructor(
    readonly dir: string,
    private stateCache: ClusterState,
    /** Bearer token of the cluster's admin; undefined with authOff. */
    readonly token: string | undefined,
  ) {}

  static async start(o: ClusterOptions): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), `cluster-${o.name}-`));
    // These are fault and load runs from one address with one token: the per-address and
    // per-token limits (429) would only add noise. startCluster has no option for it; the
    // processes it starts (and restartFrontend) inherit this process's environment.
    process.env.RATE_LIMIT = 'off';
    const state = await startCluster({
      dir,
      frontends: o.frontends,
      ...(o.etcdMembers === undefined ? {} : { etcdMembers: o.etcdMembers }),
      shards: 3,
      copies: 3,
      port: await freePort(),
      maxBodyBytes: 50 * 1024 * 1024,
      authOff: o.authOff === true,
      ...(o.frontDoors === undefined ? {} : { frontDoors: o.frontDoors }),
    });
    try {
      const token = o.authOff === true ? undefined : readFileSync(state.adminTokenFile, 'utf8').trim();
      return new TestCluster(state.dir, state, token);
    } catch (err) {
      // A cluster the test never gets must not outlive it.
      await stopCluster(dir);
      throw err;
    }
  }

  /** state.json as it is now (restarts rewrite it). */
  get state(): ClusterState {
    this.stateCache = readState(this.dir) ?? this.stateCache;
    return this.stateCache;
  }

  /** nginx, the public entry. */
  get url(): string {
    return this.state.url;
  }

  get auth(): Record<string, string> {
    return this.token === undefined ? {} : { authorization: `Bearer ${this.token}` };
  }

  process(role: string): ManagedProcess {
    const p = this.state.processes.find((q) => q.role === role);
    if (p === undefined) throw new Error(`no process ${role} in ${statePath(this.dir)}`);
    return p;
  }

  frontendRoles(): string[] {
    return this.state.processes.filter((p) => p.role.startsWith('frontend-')).map((p) => p.role);
  }

  /** A front end addressed directly, bypassing nginx. */
  frontendUrl(role: string): string {
    return `http://${frontendAddress(this.process(role))}`;
  }

  /** SIGKILL of a recorded process; resolves once it is gone. */
  async kill9(role: string): Promise<void> {
    const p = this.process(role);
    process.kill(p.pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (isAlive(p.pid)) {
      if (Date.now() > deadline) throw new Error(`${role} (pid ${p.pid}) still alive 10 s after SIGKILL`);
      await sleep(20);
    }
  }

  /** SIGSTOP / SIGCONT of a recorded process. */
  signal(role: string, signal: 'SIGSTOP' | 'SIGCONT'): void {
    process.kill(this.process(role).pid, signal);
  }

  /** The role of the supervisor that leads now. */
  async leaderRole(): Promise<string> {
    const leader = (await this.supervisorStatus()).leader;
    if (leader === null) throw new Error('no supervisor leads');
    return leader.name;
  }

  /** Starts a dead recorded process again with its recorded command (etcd members, supervisors). */
  async restartRecorded(role: string): Promise<ManagedProcess> {
    const state = this.state;
    const index = state.processes.findIndex((p) => p.role === role);
    const old = state.processes[index];
    if (old === undefined) throw new Error(`no process ${role}`);
    if (isAlive(old.pid)) throw new Error(`${role} is still running (pid ${old.pid})`);
    const next = startDetached(role, old.command, old.log, { ...process.env, FS_CLUSTER_SECRET: state.secret }, old.port);
    state.processes[index] = next;
    writeFileSync(statePath(this.dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    return next;
  }

  restartFrontend(role: string): Promise<ManagedProcess> {
    return restartFrontend(this.dir, role);
  }

  /**
   * Starts a dead shard again exactly as the launcher did (same command: id, port, data folder;
   * the secret from state.json) and records the new pid so stopCluster stops it.
   */
  async restartShard(role: string): Promise<ManagedProcess> {
    const state = this.state;
    const index = state.processes.findIndex((p) => p.role === role);
    const old = state.processes[index];
    if (old === undefined || !role.startsWith('shard-')) throw new Error(`no shard named ${role}`);
    if (isAlive(old.pid)) throw new Error(`${role} is still running (pid ${old.pid})`);
    const next = startDetached(role, old.command, old.log, { ...process.env, FS_CLUSTER_SECRET: state.secret }, old.port);
    state.processes[index] = next;
    writeFileSync(statePath(this.dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    await waitForHttp(`http://127.0.0.1:${old.port!}/healthz`, 60_000, () => !isAlive(next.pid));
    return next;
  }

  /** The admin API of the first supervisor that answers (any of them serves /map and /status). */
  private async admin<T>(path: string): Promise<T> {
    let last: unknown = null;
    for (const url of this.state.supervisorUrls) {
      try {
        const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${this.state.secret}` }, signal: AbortSignal.timeout(5_000) });
        if (res.status !== 200) throw new Error(`supervisor ${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  map(): Promise<ClusterMap> {
    return this.admin<ClusterMap>('/map');
  }

  supervisorStatus(): Promise<SupervisorStatus> {
    return this.admin<SupervisorStatus>('/status');
  }

  /** The shard process (role) that is primary of the repository's vbucket. */
  async primaryOf(repo: string): Promise<{ role: string; vb: number; map: ClusterMap }> {
    const map = await this.map();
    const vb = vbucketOf(repo);
    return { role: `shard-${map.vbuckets[vb]!.copies[0]!}`, vb, map };
  }

  /**
   * Waits until a restarted shard is back: the supervisors adopted its new incarnation into the map
   * and it has no catch-up left. (The map's inSync list is only rewritten at a promotion, so it is
   * no signal here; the shard only serves a vbucket once its catch-up is done.)
   */
  async rejoined(role: string, timeoutMs = 60_000): Promise<{ ok: boolean; detail: string }> {
    const id = role.replace('shard-', '');
    const ok = await eventuallyTrue(async () => {
      const [m, status] = await Promise.all([this.map(), this.supervisorStatus()]);
      const s = status.shards[id];
      return s?.alive === true && s.catchingUp === false && s.bootId !== null && m.shards[id]?.bootId === s.bootId;
    }, timeoutMs);
    return { ok, detail: ok ? '' : `${role} did not rejoin: ${JSON.stringify((await this.supervisorStatus()).shards[id])}` };
  }

  /** Waits until the three copies of `repo` hold the same bytes; the differences when they do not. */
  async copiesConverge(repo: string, timeoutMs = 30_000): Promise<{ ok: boolean; copies: CopyDigest[]; detail: string }> {
    let copies: CopyDigest[] = [];
    const ok = await eventuallyTrue(() => {
      copies = this.copyDigests(repo);
      return copies.length === 3 && copies.every((c) => c.entries.size > 0 && c.digest === copies[0]!.digest);
    }, timeoutMs);
    return { ok, copies, detail: digestDifferences(copies).slice(0, 20).join('\n') };
  }

  /**
   * Every copy of a repository, hashed from the shard's data folder
   * (<dir>/shards/<id>/<vbucket>/<repo>/...): paths, kinds, bytes and link targets. Modes and
   * times are left out: copies converge on content, and catch-up copies content.
   */
  copyDigests(repo: string): CopyDigest[] {
    const vbDir = vbucketDirName(vbucketOf(repo));
    const shardsDir = join(this.dir, 'shards');
    return readdirSync(shardsDir)
      .sort()
      .map((shard) => {
        const entries = new Map<string, string>();
        const walk = (full: string, rel: string): void => {
          const stats = lstatSync(full, { throwIfNoEntry: false });
          if (stats === undefined) return;
          if (stats.isDirectory()) {
            entries.set(rel, 'dir');
            for (const name of readdirSync(full).sort()) walk(join(full, name), `${rel}/${name}`);
          } else if (stats.isSymbolicLink()) entries.set(rel, `link ${readlinkSync(full)}`);
          else entries.set(rel, `file ${createHash('sha1').update(readFileSync(full)).digest('hex')}`);
        };
        const root = join(shardsDir, shard, vbDir, repo);
        if (existsSync(root)) walk(root, '');
        const hash = createHash('sha256');
        for (const [path, what] of entries) hash.update(`${path}\0${what}\n`);
        return { shard, digest: hash.digest('hex'), entries };
      });
  }

  /**
   * The requests a front end's log records, with the pid that served them and when each began
   * (end minus duration): what a process did after it was told to stop.
   */
  frontendLog(role: string): { requests: FrontendRequest[]; shutdowns: { pid: number; at: number }[] } {
    const requests: FrontendRequest[] = [];
    const shutdowns: { pid: number; at: number }[] = [];
    for (const line of readFileSync(this.process(role).log, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { time?: string; pid?: number; msg?: string; ms?: number; method?: string; path?: string; status?: number };
      if (e.time === undefined || e.pid === undefined) continue;
      const at = Date.parse(e.time);
      if (e.msg === 'request' && e.ms !== undefined) requests.push({ pid: e.pid, start: at - e.ms, end: at, method: e.method ?? '', path: e.path ?? '', status: e.status ?? 0 });
      else if (e.msg?.startsWith('shutting down') === true) shutdowns.push({ pid: e.pid, at });
    }
    return { requests, shutdowns };
  }

  /** Takes a front end out of nginx's upstream (or puts it back), through the launcher's own control. */
  async setUpstreamDown(role: string, down: boolean): Promise<void> {
    await setUpstreamDown(join(this.dir, 'nginx', 'nginx.conf'), this.process('nginx').pid, `127.0.0.1:${this.process(role).port!}`, down);
  }

  /** nginx's JSON access log (one object per request), e.g. to see which front end served what. */
  accessLog(): AccessEntry[] {
    const file = join(this.dir, 'nginx', 'logs', 'access.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AccessEntry);
  }

  /** Stops every recorded process; the folder (logs, data) stays when KEEP_CLUSTER=1, for a post-mortem. */
  async stop(): Promise<void> {
    if (readState(this.dir) !== null) await stopCluster(this.dir);
    if (process.env.KEEP_CLUSTER === '1') console.info(`cluster files kept in ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface FrontendRequest {
  pid: number;
  start: number;
  end: number;
  method: string;
  path: string;
  status: number;
}

/** Child processes of `pid` with their titles (nginx names its workers by role and state). */

/** Names what differs between copies, for a readable failure. */
export function digestDifferences(copies: CopyDigest[]): string[] {
  const [first, ...rest] = copies;
  if (first === undefined) return [];
  const out: string[] = [];
  for (const other of rest) {
    for (const [path, what] of first.entries) if (other.entries.get(path) !== what) out.push(`${other.shard}${path}: ${other.entries.get(path) ?? 'missing'} (${first.shard}: ${what})`);
    for (const path of other.entries.keys()) if (!first.entries.has(path)) out.push(`${other.shard}${path}: extra`);
  }
  return out;
}
