import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNginx } from './ensure-nginx.js';
import { freePort, isAlive, type ManagedProcess, startDetached, stopProcess, waitForHttp } from './processes.js';
import { setUpstreamDown } from './nginx-control.js';
import { renderNginxConfig } from './render-config.js';

export interface ClusterOptions {
  /** Folder for state, logs and data (default .cluster). */
  dir: string;
  frontends: number;
  shards: number;
  copies: number;
  /** Public port of nginx (default 8080). */
  port: number;
  maxBodyBytes: number;
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
  supervisorUrl: string;
  adminTokenFile: string;
  /** nginx's body buffer folder, outside `dir` (removed by stop). */
  nginxTemp?: string;
  processes: ManagedProcess[];
  startedAt: string;
}

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const tsx = (entry: string): string[] => [process.execPath, '--import', 'tsx', join(root, entry)];

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

/**
 * Starts shards, the supervisor, the front ends and nginx, each its own detached process on
 * loopback; waits until every one is ready; records pids, ports and logs in <dir>/state.json so
 * stop and status work from another shell. On any failure it stops what it started.
 */
export async function startCluster(o: ClusterOptions): Promise<ClusterState> {
  const log = o.log ?? (() => {});
  const dir = resolve(o.dir);
  const existing = readState(dir);
  if (existing !== null && existing.processes.some((p) => isAlive(p.pid))) throw new Error(`a cluster is already running from ${dir} (${existing.url}); stop it first`);
  const nginxBinary = ensureNginx(log);
  for (const sub of ['logs', 'shards', 'supervisor', 'frontends', 'nginx/logs']) mkdirSync(join(dir, sub), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  const started: ManagedProcess[] = [];
  // Shards fsync on libuv's thread pool; the default 4 threads serialise replicated writes.
  const env = { ...process.env, FS_CLUSTER_SECRET: secret, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' };
  const dead = (p: ManagedProcess) => () => !isAlive(p.pid);
  try {
    const shardAddrs: string[] = [];
    for (let i = 1; i <= o.shards; i++) {
      const port = await freePort();
      const p = startDetached(`shard-s${i}`, [...tsx('fs-service/shard/shard-main.ts'), '--id', `s${i}`, '--port', String(port), '--data', join(dir, 'shards', `s${i}`)], join(dir, 'logs', `shard-s${i}.log`), env, port);
      started.push(p);
      shardAddrs.push(`127.0.0.1:${port}`);
    }
    for (const p of started) await waitForTcp(p.port!, 30_000, dead(p));
    log(`shards ready: ${shardAddrs.join(' ')}`);

    const supervisorPort = await freePort();
    const shardFlags = shardAddrs.flatMap((addr, i) => ['--shard', `s${i + 1}=${addr}`]);
    const supervisor = startDetached(
      'supervisor',
      [...tsx('fs-service/control/supervisor-main.ts'), ...shardFlags, '--data', join(dir, 'supervisor'), '--port', String(supervisorPort), '--replicas', String(o.copies)],
      join(dir, 'logs', 'supervisor.log'),
      env,
      supervisorPort,
    );
    started.push(supervisor);
    const supervisorUrl = `http://127.0.0.1:${supervisorPort}`;
    await waitForHttp(`${supervisorUrl}/healthz`, 30_000, dead(supervisor));
    log(`supervisor ready: ${supervisorUrl}`);

    const frontends: ManagedProcess[] = [];
    for (let i = 1; i <= o.frontends; i++) {
      const port = await freePort();
      const feEnv: Record<string, string> = {
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: join(dir, 'frontends', `f${i}`),
        FS_SHARDS: shardAddrs.join(','),
        MAX_BODY_BYTES: String(o.maxBodyBytes),
        // Every front end behind this nginx enforces its share of the per-client limits.
        RATE_LIMIT_FRONTENDS: String(o.frontends),
        ...(o.trace === true ? { DECISION_TRACE: '1' } : {}),
        ...(o.authOff === true ? { AUTH: 'off' } : {}),
        ...(o.rateLimitOff === true ? { RATE_LIMIT: 'off' } : {}),
      };
      mkdirSync(feEnv.DATA_DIR, { recursive: true });
      const p = startDetached(`frontend-f${i}`, tsx('repo-server/main.ts'), join(dir, 'logs', `frontend-f${i}.log`), { ...env, ...feEnv }, port, feEnv);
      started.push(p);
      frontends.push(p);
      // The first front end creates the admin token of an empty cluster; the others find it.
      if (i === 1) await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000, dead(p));
    }
    for (const p of frontends.slice(1)) await waitForHttp(`http://127.0.0.1:${p.port}/readyz`, 60_000, dead(p));
    log(`front ends ready: ${frontends.map((p) => p.port).join(' ')}`);

    const prefix = join(dir, 'nginx');
    const conf = join(prefix, 'nginx.conf');
    const temp = nginxTempDir();
    writeFileSync(conf, renderNginxConfig({ prefix, temp, listen: `127.0.0.1:${o.port}`, upstreams: frontends.map((p) => `127.0.0.1:${p.port}`), maxBodyBytes: o.maxBodyBytes }));
    const nginx = startDetached('nginx', [nginxBinary, '-p', prefix, '-c', conf], join(dir, 'logs', 'nginx.log'), env, o.port);
    started.push(nginx);
    const url = `http://127.0.0.1:${o.port}`;
    await waitForHttp(`${url}/healthz`, 30_000, dead(nginx));
    log(`nginx ready: ${url}`);

    const state: ClusterState = {
      url,
      dir,
      secret,
      supervisorUrl,
      adminTokenFile: join(dir, 'frontends', 'f1', 'admin-token'),
      nginxTemp: temp,
      processes: started,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(statePath(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    return state;
  } catch (err) {
    for (const p of started.reverse()) await stopProcess(p, 'SIGTERM', 5_000);
    throw err;
  }
}

/**
 * Graceful stop: nginx first (SIGQUIT: finish open requests, accept no more), then front ends
 * (SIGTERM: they finish in-flight requests), the supervisor, and the shards last.
 */
export async function stopCluster(dir: string, log: (line: string) => void = () => {}): Promise<void> {
  const state = readState(resolve(dir));
  if (state === null) throw new Error(`no cluster state in ${resolve(dir)}`);
  const order = (role: string) => (role === 'nginx' ? 0 : role.startsWith('frontend') ? 1 : role === 'supervisor' ? 2 : 3);
  const groups = [0, 1, 2, 3].map((rank) => state.processes.filter((p) => order(p.role) === rank));
  for (const group of groups) {
    const results = await Promise.all(group.map((p) => stopProcess(p, p.role === 'nginx' ? 'SIGQUIT' : 'SIGTERM')));
    group.forEach((p, i) => log(`${p.role} (pid ${p.pid}): ${results[i]}`));
  }
  if (state.nginxTemp !== undefined) rmSync(state.nginxTemp, { recursive: true, force: true });
}

/**
 * Rolling-restart step, done so that nginx never has a request on the way to a stopping front
 * end: out of the upstream (down + reload, old nginx workers finish what they sent it), SIGTERM
 * (the front end finishes in-flight requests), start again on the same port, wait until ready,
 * back into the upstream. Records the new pid.
 */
export async function restartFrontend(dir: string, role: string): Promise<ManagedProcess> {
  const state = readState(resolve(dir));
  if (state === null) throw new Error(`no cluster state in ${resolve(dir)}`);
  const index = state.processes.findIndex((p) => p.role === role);
  const old = state.processes[index];
  const nginx = state.processes.find((p) => p.role === 'nginx');
  if (old === undefined || !role.startsWith('frontend') || old.env === undefined) throw new Error(`no front end named ${role}`);
  if (nginx === undefined) throw new Error('no nginx in this cluster');
  const conf = join(state.dir, 'nginx', 'nginx.conf');
  const address = `127.0.0.1:${old.port}`;
  await setUpstreamDown(conf, nginx.pid, address, true);
  await stopProcess(old, 'SIGTERM');
  const next = startDetached(role, old.command, old.log, { ...process.env, FS_CLUSTER_SECRET: state.secret, ...old.env }, old.port, old.env);
  await waitForHttp(`http://${address}/readyz`, 60_000, () => !isAlive(next.pid));
  await setUpstreamDown(conf, nginx.pid, address, false);
  state.processes[index] = next;
  writeFileSync(statePath(state.dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  return next;
}

export interface ProcessStatus extends ManagedProcess {
  alive: boolean;
}

export async function clusterStatus(dir: string): Promise<{ state: ClusterState; processes: ProcessStatus[]; ready: boolean }> {
  const state = readState(resolve(dir));
  if (state === null) throw new Error(`no cluster state in ${resolve(dir)}`);
  const processes = state.processes.map((p) => ({ ...p, alive: isAlive(p.pid) }));
  let ready = false;
  try {
    ready = (await fetch(`${state.url}/readyz`, { signal: AbortSignal.timeout(3_000) })).status === 200;
  } catch {
    ready = false;
  }
  return { state, processes, ready };
}
