import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCurl, ensureEtcd, ensureKeepalived, ensureNginx } from './ensure-tool.js';
import { clientEndpoint, etcdCommand, waitForEtcd, type EtcdMember } from './etcd.js';
import { freePort, isAlive, type ManagedProcess, pidFileOf, runningPids, startDetached, stopProcess, waitForHttp } from './processes.js';
import { livePid } from '../fs-service/index.js';
import { isKeepalived, isNginx, keepalivedPidFiles, nginxConfOf, startFrontDoor } from './front-door.js';
import { logrotateConfigOf, renderLogrotateConfig } from './log-rotation.js';
import { createFrontDoorNetwork, removeFrontDoorNetwork, type FrontDoorNetwork } from './netns.js';
import { setUpstreamDown } from './nginx-control.js';
import { renderNginxConfig } from './render-config.js';

export interface ClusterOptions {
  /** Folder for state, logs and data (default .cluster). */
  dir: string;
  frontends: number;
  shards: number;
  copies: number;
  /** etcd members of a new cluster (1; 3 for a real quorum). A folder that has etcd keeps its members. */
  etcdMembers?: number;
  /** Supervisor processes (2: one leads, one stands by). */
  supervisors?: number;
  /** Public port of nginx (default 8080). */
  port: number;
  /**
   * Front-door nodes (--ha: 2): 0 or absent, one nginx on 127.0.0.1; two or more, an nginx and a
   * keepalived in each node's own network namespace, passing a virtual IP between them (netns.ts).
   */
  frontDoors?: number;
  maxBodyBytes: number;
  /** The git push limit of the front ends and of nginx's git routes (default 2 GiB). */
  maxPushBytes?: number;
  /** Front ends answer with X-Decision-Trace (tests, conformance). */
  trace?: boolean;
  /** AUTH=off for the front ends (tests only). */
  authOff?: boolean;
  /** RATE_LIMIT=off for the front ends (load tests only). */
  rateLimitOff?: boolean;
  log?: (line: string) => void;
}

export interface ClusterState {
  url: string;
  dir: string;
  secret: string;
  /** etcd client endpoints (host:port) of every member. */
  etcd: string[];
  /** The first supervisor's admin API (any supervisor answers /map and /status). */
  supervisorUrl: string;
  supervisorUrls: string[];
  adminTokenFile: string;
  /** nginx's body buffer folder, outside `dir` (removed by stop). */
  nginxTemp?: string;
  /** The HA front door's namespaces, bridge and virtual IP (removed by stop); absent with one nginx. */
  frontDoor?: FrontDoorNetwork;
  processes: ManagedProcess[];
  startedAt: string;
}

/**
 * The command line of one of our entry points (`fs-service/shard/shard-main`): the compiled file
 * under dist/ when the launcher itself runs compiled (`npm run build`, the `content-repo-cluster`
 * bin), the TypeScript source through tsx otherwise (a checkout, the tests).
 */
const here = fileURLToPath(import.meta.url);
const compiled = here.endsWith('.js');
const root = resolve(dirname(here), compiled ? '../..' : '..');
export function entryCommand(entry: string): string[] {
  return compiled ? [process.execPath, join(root, 'dist', `${entry}.js`)] : [process.execPath, '--import', 'tsx', join(root, `${entry}.ts`)];
}


/**
 * nginx's workers drop to an unprivileged user; they must reach the body buffer folder, which a
 * private cluster folder (mode 0700, as test temp folders are) would hide from them. Every body
 * larger than the in-memory buffer would then fail with 500.
 */
function nginxTempDir(): string {
  const temp = mkdtempSync(join(tmpdir(), 'content-repo-nginx-'));
  chmodSync(temp, 0o777);
  return temp;
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function readState(dir: string): ClusterState | null {
  const file = statePath(dir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterState) : null;
}

function waitForTcp(port: number, timeoutMs: number, isDead: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const attempt = (): void => {
      if (isDead()) return reject(new Error(`process on port ${port} exited while starting`));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolvePromise();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not listening after ${timeoutMs} ms`));
        else setTimeout(attempt, 150);
      });
    };
    attempt();
  });
}

/** The cluster secret of a folder: kept in <dir>/secret (0600) from the first start on, so a restart presents the same one. */
function folderSecret(dir: string): string {
  const file = join(dir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  // A folder of the launcher before etcd kept its secret in state.json only.
  const secret = readState(dir)?.secret ?? randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The folder's etcd members: recorded at the first start, started again with the same names, ports and data. */
async function folderEtcd(dir: string, count: number): Promise<{ members: EtcdMember[]; created: boolean }> {
  const file = join(dir, 'etcd', 'members.json');
  if (existsSync(file)) return { members: JSON.parse(readFileSync(file, 'utf8')) as EtcdMember[], created: false };
  const members: EtcdMember[] = [];
  for (let i = 1; i <= count; i++) members.push({ name: `e${i}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(dir, 'etcd', `e${i}`) });
  mkdirSync(join(dir, 'etcd'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(members, null, 2)}\n`);
  return { members, created: true };
}

/**
 * What to do with control state from before etcd: a folder with shard data and the old
 * supervisor's map.json but no etcd is adopted (the map is imported into etcd once); one with
 * shard data and neither is refused, since its map is gone.
 */
function migration(dir: string): { adoptMap?: string } {
  if (existsSync(join(dir, 'etcd', 'members.json'))) return {};
  const oldMap = join(dir, 'supervisor', 'map.json');
  if (existsSync(oldMap)) return { adoptMap: oldMap };
  const shards = join(dir, 'shards');
  if (existsSync(shards) && readdirSync(shards).some((id) => readdirSync(join(shards, id)).some((name) => /^\d{3}$/.test(name)))) {
    throw new Error(
      `${dir} holds shard data but no control state: neither etcd/ (this version) nor supervisor/map.json (the supervisor before etcd) is there, so which copy leads each vbucket is unknown. ` +
        'Restore supervisor/map.json from a backup and start again (it is adopted), or start a new cluster in another folder.',
    );
  }
  return {};
}

/**
 * Starts etcd (one member, or --etcd-members), shards, two or more supervisors, the front ends
 * and nginx, each its own detached process on loopback; waits until every one is ready; records
 * pids, ports and logs in <dir>/state.json so stop and status work from another shell. Started
 * again on the same folder, everything comes back on its data: etcd members on their recorded
 * ports (their peer addresses are part of etcd's membership), every other process on new ports,
 * found through etcd. On any failure it stops what it started.
 */
export async function startCluster(o: ClusterOptions): Promise<ClusterState> {
  const log = o.log ?? (() => {});
  const dir = resolve(o.dir);
  const existing = readState(dir);
  if (existing !== null && existing.processes.some((p) => runningPids(p).length > 0)) throw new Error(`a cluster is already running from ${dir} (${existing.url}); stop it first`);
  const nginxBinary = ensureNginx(log);
  const etcdBinary = ensureEtcd(log);
  const ha = (o.frontDoors ?? 0) >= 2;
  const keepalivedBinary = ha ? ensureKeepalived(log) : '';
  const curlBinary = ha ? ensureCurl(log) : '';
  mkdirSync(dir, { recursive: true });
  const { adoptMap } = migration(dir);
  for (const sub of ['logs', 'run', 'shards', 'frontends', 'nginx/logs']) mkdirSync(join(dir, sub), { recursive: true });
  const secret = folderSecret(dir);
  writeFileSync(logrotateConfigOf(dir), renderLogrotateConfig(dir));
  const started: ManagedProcess[] = [];
  // Shards fsync on libuv's thread pool; the default 4 threads serialise replicated writes.
  const env = { ...process.env, FS_CLUSTER_SECRET: secret, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' };
  const dead = (p: ManagedProcess) => () => !isAlive(p.pid);
  let frontDoor: FrontDoorNetwork | undefined;
  const temp = nginxTempDir();
  try {
    if (ha) {
      frontDoor = createFrontDoorNetwork(o.frontDoors!);
      log(`front-door network: bridge ${frontDoor.bridge} ${frontDoor.hostAddress}/${frontDoor.prefixLength}, nodes ${frontDoor.nodes.map((n) => `${n.name} ${n.address} (netns ${n.netns})`).join(', ')}, virtual IP ${frontDoor.vip}`);
    }
    // Where the front ends listen: loopback, or this machine's address on the front door's bridge.
    const frontendHost = frontDoor?.hostAddress ?? '127.0.0.1';
    const { members, created } = await folderEtcd(dir, o.etcdMembers ?? 1);
    if (!created && o.etcdMembers !== undefined && o.etcdMembers !== members.length) log(`${dir} has an etcd of ${members.length} member(s); --etcd-members ${o.etcdMembers} ignored`);
    // etcd writes no pid file; it holds an flock on its database, which names it.
    const etcdProcesses = members.map((m) => ({ ...startDetached(`etcd-${m.name}`, etcdCommand(etcdBinary, m, members), join(dir, 'logs', `etcd-${m.name}.log`), env, m.clientPort), flockFile: join(m.dataDir, 'member', 'snap', 'db') }));
    started.push(...etcdProcesses);
    await Promise.all(members.map((m, i) => waitForEtcd(m, 30_000, dead(etcdProcesses[i]!))));
    const etcd = members.map(clientEndpoint);
    log(`etcd ready: ${etcd.join(' ')}${adoptMap === undefined ? '' : ` (adopting ${adoptMap})`}`);
    const etcdFlags = etcd.flatMap((e) => ['--etcd', e]);

    const shardAddrs: string[] = [];
    const shards: ManagedProcess[] = [];
    for (let i = 1; i <= o.shards; i++) {
      const port = await freePort();
      const data = join(dir, 'shards', `s${i}`);
      const role = `shard-s${i}`;
      const command = [...entryCommand('fs-service/shard/shard-main'), '--id', `s${i}`, '--port', String(port), '--data', data, '--pid-file', pidFileOf(dir, role), ...etcdFlags];
      const p = { ...startDetached(role, command, join(dir, 'logs', `${role}.log`), env, port), pidFile: pidFileOf(dir, role), dataLock: join(data, '.lock') };
      started.push(p);
      shards.push(p);
      shardAddrs.push(`127.0.0.1:${port}`);
    }
    for (const p of shards) await waitForTcp(p.port!, 30_000, dead(p));
    log(`shards ready: ${shardAddrs.join(' ')}`);

    const supervisorUrls: string[] = [];
    const initial = Array.from({ length: o.shards }, (_, i) => `s${i + 1}`).join(',');
    for (let i = 1; i <= (o.supervisors ?? 2); i++) {
      const port = await freePort();
      const role = `supervisor-${i}`;
      const args = [...entryCommand('fs-service/control/supervisor-main'), ...etcdFlags, '--name', role, '--port', String(port), '--replicas', String(o.copies), '--initial-shards', initial, '--pid-file', pidFileOf(dir, role)];
      const p = { ...startDetached(role, [...args, ...(adoptMap === undefined ? [] : ['--adopt-map', adoptMap])], join(dir, 'logs', `${role}.log`), env, port), pidFile: pidFileOf(dir, role) };
      started.push(p);
      supervisorUrls.push(`http://127.0.0.1:${port}`);
      await waitForHttp(`${supervisorUrls.at(-1)!}/healthz`, 30_000, dead(p));
    }
    await waitForMap(supervisorUrls[0]!, secret, 60_000);
    log(`supervisors ready: ${supervisorUrls.join(' ')}`);

    const frontends: ManagedProcess[] = [];
    for (let i = 1; i <= o.frontends; i++) {
      const port = await freePort();
      const feEnv: Record<string, string> = {
        HOST: frontendHost,
        PORT: String(port),
        DATA_DIR: join(dir, 'frontends', `f${i}`),
        PID_FILE: pidFileOf(dir, `frontend-f${i}`),
        FS_ETCD: etcd.join(','),
        MAX_BODY_BYTES: String(o.maxBodyBytes),
        ...(o.maxPushBytes === undefined ? {} : { MAX_PUSH_BYTES: String(o.maxPushBytes) }),
        // Every front end behind this nginx enforces its share of the per-client limits.
        RATE_LIMIT_FRONTENDS: String(o.frontends),
        ...(o.trace === true ? { DECISION_TRACE: '1' } : {}),
        ...(o.authOff === true ? { AUTH: 'off' } : {}),
        ...(o.rateLimitOff === true ? { RATE_LIMIT: 'off' } : {}),
      };
      mkdirSync(feEnv.DATA_DIR, { recursive: true });
      const p = { ...startDetached(`frontend-f${i}`, entryCommand('repo-server/main'), join(dir, 'logs', `frontend-f${i}.log`), { ...env, ...feEnv }, port, feEnv), pidFile: feEnv.PID_FILE };
      started.push(p);
      frontends.push(p);
      // The first front end creates the admin token of an empty cluster (before its port opens); the others find it.
      if (i === 1) await waitForHttp(`http://${frontendAddress(p)}/readyz`, 60_000, dead(p));
    }
    for (const p of frontends.slice(1)) await waitForHttp(`http://${frontendAddress(p)}/readyz`, 60_000, dead(p));
    log(`front ends ready: ${frontends.map((p) => p.port).join(' ')}`);

    // Every nginx gets the same configuration but for its own folders.
    const nginxConfig = (prefix: string, nginxTemp: string, listen: string) =>
      renderNginxConfig({ prefix, temp: nginxTemp, listen, upstreams: frontends.map(frontendAddress), maxBodyBytes: o.maxBodyBytes, ...(o.maxPushBytes === undefined ? {} : { maxPushBytes: o.maxPushBytes }) });
    let url: string;
    if (frontDoor === undefined) {
      const prefix = join(dir, 'nginx');
      const conf = join(prefix, 'nginx.conf');
      writeFileSync(conf, nginxConfig(prefix, temp, `127.0.0.1:${o.port}`));
      // nginx writes (and removes) its own pid file, named in the configuration.
      const nginx = { ...startDetached('nginx', [nginxBinary, '-p', prefix, '-c', conf], join(dir, 'logs', 'nginx.log'), env, o.port), pidFile: join(prefix, 'nginx.pid') };
      started.push(nginx);
      url = `http://127.0.0.1:${o.port}`;
      await waitForHttp(`${url}/healthz`, 30_000, dead(nginx));
    } else {
      started.push(...(await startFrontDoor(dir, frontDoor, { nginxBinary, keepalivedBinary, curlBinary, port: o.port, temp, env, nginxConfig, log })));
      url = `http://${frontDoor.vip}:${o.port}`;
      await waitForHttp(`${url}/healthz`, 30_000);
    }
    log(`nginx ready: ${url}`);

    const state: ClusterState = {
      url,
      dir,
      secret,
      etcd,
      supervisorUrl: supervisorUrls[0]!,
      supervisorUrls,
      adminTokenFile: join(dir, 'frontends', 'f1', 'admin-token'),
      nginxTemp: temp,
      ...(frontDoor === undefined ? {} : { frontDoor }),
      processes: started,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(statePath(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    return state;
  } catch (err) {
    for (const p of started.reverse()) await stopProcess(p, 'SIGTERM', 5_000);
    if (frontDoor !== undefined) removeFrontDoorNetwork(frontDoor);
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** host:port a front end listens on (loopback, or the front door's bridge address). */
export function frontendAddress(p: ManagedProcess): string {
  return `${p.env?.HOST ?? '127.0.0.1'}:${p.port}`;
}

/** Waits until the cluster has a map (a new cluster's leader formed it, or an adopted one was imported). */
async function waitForMap(supervisorUrl: string, secret: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${supervisorUrl}/map`, { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(2_000) });
      if (res.status === 200 && (await res.json()) !== null) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`no cluster map ${timeoutMs} ms after the supervisors started (see their logs)`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * Graceful stop: nginx first (SIGQUIT: finish open requests, accept no more), then front ends
 * (SIGTERM: they finish in-flight requests), the supervisors, the shards, and etcd last.
 */
export async function stopCluster(dir: string, log: (line: string) => void = () => {}): Promise<void> {
  const state = readState(resolve(dir));
  if (state === null) throw new Error(`no cluster state in ${resolve(dir)}`);
  // keepalived first: it gives the virtual IP up, rather than see its nginx go and pass the address on.
  const order = (role: string) => (isKeepalived(role) ? 0 : isNginx(role) ? 1 : role.startsWith('frontend') ? 2 : role.startsWith('supervisor') ? 3 : role.startsWith('shard') ? 4 : 5);
  const groups = [0, 1, 2, 3, 4, 5].map((rank) => state.processes.filter((p) => order(p.role) === rank));
  for (const group of groups) {
    const results = await Promise.all(group.map((p) => stopProcess(p, stopSignal(p.role))));
    group.forEach((p, i) => log(`${p.role} (pid ${p.pid}): ${results[i]}`));
  }
  if (state.nginxTemp !== undefined) rmSync(state.nginxTemp, { recursive: true, force: true });
  if (state.frontDoor !== undefined) {
    removeFrontDoorNetwork(state.frontDoor);
    log(`front-door network ${state.frontDoor.bridge} and namespaces removed`);
  }
}

/** nginx finishes open requests on SIGQUIT; everything else stops gracefully on SIGTERM. */
const stopSignal = (role: string): NodeJS.Signals => (isNginx(role) ? 'SIGQUIT' : 'SIGTERM');

/** A role's recorded process and the state it is in; throws naming the roles there are. */
function recorded(dir: string, role: string): { state: ClusterState; index: number; old: ManagedProcess } {
  const state = readState(resolve(dir));
  if (state === null) throw new Error(`no cluster state in ${resolve(dir)}`);
  const index = state.processes.findIndex((p) => p.role === role);
  const old = state.processes[index];
  if (old === undefined) throw new Error(`no process named ${role} in this cluster (roles: ${state.processes.map((p) => p.role).join(', ')})`);
  return { state, index, old };
}

/** Starts a role again from its recorded command and environment; records the new pid. */
function startRecorded(state: ClusterState, index: number, old: ManagedProcess): ManagedProcess {
  const next = { ...old, ...startDetached(old.role, old.command, old.log, { ...process.env, FS_CLUSTER_SECRET: state.secret, ...old.env }, old.port, old.env) };
  state.processes[index] = next;
  writeFileSync(statePath(state.dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return next;
}

/** Resolves once a (re)started role is ready again. */
async function waitReady(state: ClusterState, p: ManagedProcess): Promise<void> {
  const isDead = () => !isAlive(p.pid);
  const node = state.frontDoor?.nodes.find((n) => p.role.endsWith(`-${n.name}`));
  if (isKeepalived(p.role) && node !== undefined) return waitForFile(() => livePid(keepalivedPidFiles(state.dir, node.name).vrrp) !== null, 30_000, isDead, `${p.role}'s VRRP process`);
  if (isNginx(p.role)) return waitForHttp(node === undefined ? `${state.url}/healthz` : `http://${node.address}:${p.port}/nginx-healthz`, 60_000, isDead);
  if (p.role.startsWith('etcd-')) return waitForHttp(`http://127.0.0.1:${p.port}/health`, 60_000, isDead);
  if (p.role.startsWith('frontend-')) return waitForHttp(`http://${frontendAddress(p)}/readyz`, 60_000, isDead);
  return waitForHttp(`http://127.0.0.1:${p.port}/healthz`, 60_000, isDead);
}

async function waitForFile(check: () => boolean, timeoutMs: number, isDead: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (isDead()) throw new Error(`${what} exited while starting`);
    if (Date.now() > deadline) throw new Error(`${what} not running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Restarts one process of any role: whatever runs as it now (started by the launcher, by hand
 * or by a unit: runningPids) is stopped, its recorded command started again, and the call waits
 * until it is ready. Front ends go through restartFrontend (out of nginx first).
 */
export async function restartRole(dir: string, role: string): Promise<ManagedProcess> {
  if (role.startsWith('frontend-')) return restartFrontend(dir, role);
  const { state, index, old } = recorded(dir, role);
  await stopProcess(old, stopSignal(role));
  const next = startRecorded(state, index, old);
  await waitReady(state, next);
  return next;
}

/**
 * Rolling-restart step, done so that nginx never has a request on the way to a stopping front
 * end: out of the upstream (down + reload, old nginx workers finish what they sent it), SIGTERM
 * (the front end finishes in-flight requests), start again on the same port, wait until ready,
 * back into the upstream. Records the new pid.
 */
export async function restartFrontend(dir: string, role: string): Promise<ManagedProcess> {
  const { state, index, old } = recorded(dir, role);
  if (!role.startsWith('frontend') || old.env === undefined) throw new Error(`no front end named ${role}`);
  // Every nginx of the front door sends to every front end: each takes it out, then back.
  const masters = state.processes.filter((p) => isNginx(p.role)).map((p) => ({ conf: nginxConfOf(state.dir, p.role), master: runningPids(p)[0], role: p.role }));
  const stopped = masters.find((m) => m.master === undefined);
  if (stopped !== undefined || masters.length === 0) throw new Error(`${stopped?.role ?? 'nginx'} of this cluster is not running`);
  const address = frontendAddress(old);
  for (const m of masters) await setUpstreamDown(m.conf, m.master!, address, true);
  await stopProcess(old, 'SIGTERM');
  const next = startRecorded(state, index, old);
  await waitReady(state, next);
  for (const m of masters) await setUpstreamDown(m.conf, m.master!, address, false);
  return next;
}

export interface ProcessStatus extends ManagedProcess {
  alive: boolean;
  /** The processes that are this role now (the recorded pid, or one restarted by hand or by a unit). */
  pids: number[];
}

/** Every recorded process and whether it runs now, found however it was (re)started. */
export function processStatuses(state: ClusterState): ProcessStatus[] {
  return state.processes.map((p) => {
    const pids = runningPids(p);
    return { ...p, alive: pids.length > 0, pids };
  });
}
