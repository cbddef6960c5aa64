/**
 * Starts real etcd, shard and supervisor processes (`node --import tsx ...`) on 127.0.0.1 for the
 * cluster tests and the benchmark, and kills every child it started by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectCluster, type ClusterStorage, type ClusterStorageOptions } from '../../fs-service/index.js';
import { clientEndpoint, ensureEtcd, etcdCommand, freePort, waitForEtcd, type EtcdMember, type EtcdTimings } from '../../nginx/index.js';

const ROOT = resolve(import.meta.dirname, '../..');

export const TEST_SECRET = 'fs-service-test-secret';

export interface Member {
  id: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
}

function waitForListening(child: ChildProcess, what: string, timeoutMs = 60_000): Promise<{ port: number; bootId?: string }> {
  return new Promise((resolvePromise, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n').slice(0, -1)) {
        try {
          const event = JSON.parse(line) as { event?: string; port?: number; bootId?: string };
          if (event.event === 'listening' && typeof event.port === 'number') {
            clearTimeout(timer);
            resolvePromise({ port: event.port, ...(event.bootId === undefined ? {} : { bootId: event.bootId }) });
          }
        } catch {
          // not JSON
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${String(code)} before listening`));
    });
  });
}

export class ClusterHarness {
  readonly shards = new Map<string, Member>();
  readonly supervisors: { port: number; child: ChildProcess }[] = [];
  readonly etcdMembers: { member: EtcdMember; child: ChildProcess | null }[] = [];
  private readonly children = new Set<ChildProcess>();

  /** `env` is added to the children's environment (for example `{ LOG_LEVEL: 'debug' }`). */
  constructor(
    readonly root: string,
    readonly secret = TEST_SECRET,
    private readonly env: Record<string, string> = {},
  ) {
    mkdirSync(root, { recursive: true });
  }

  /** The etcd client endpoints every process is given. */
  get etcd(): string[] {
    return this.etcdMembers.map((m) => clientEndpoint(m.member));
  }

  /** Starts `count` etcd members (a new cluster); short raft timings keep lease and election tests quick. */
  async startEtcd(count = 1, timings: EtcdTimings = { heartbeatMs: 50, electionMs: 500 }): Promise<void> {
    const members: EtcdMember[] = [];
    for (let i = 0; i < count; i++) members.push({ name: `e${i + 1}`, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(this.root, `etcd-e${i + 1}`) });
    this.timings = timings;
    for (const member of members) this.etcdMembers.push({ member, child: null });
    await Promise.all(members.map((_, i) => this.startEtcdMember(i)));
  }

  private timings: EtcdTimings = {};

  /** Starts member `index` (again, on its data folder and ports). */
  async startEtcdMember(index: number): Promise<void> {
    const entry = this.etcdMembers[index]!;
    const [binary, ...args] = etcdCommand(ensureEtcd(() => undefined), entry.member, this.etcdMembers.map((m) => m.member), this.timings);
    const child = spawn(binary!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.pipe(createWriteStream(join(this.root, `etcd-${entry.member.name}.log`), { flags: 'a' }));
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    entry.child = child;
    // A member of a several-member cluster is healthy only once a quorum is up: wait for all of them together.
    if (this.etcdMembers.length === 1) await waitForEtcd(entry.member, 30_000, () => child.exitCode !== null);
    else await waitForEtcd(entry.member, 30_000, () => child.exitCode !== null).catch(() => undefined);
  }

  /** kill -9 of etcd member `index`. */
  async killEtcdMember(index: number): Promise<void> {
    const child = this.etcdMembers[index]!.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }

  private spawn(script: string, args: string[], log: string): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // fsync blocks a libuv thread; 4 threads would serialize a shard's concurrent durable writes.
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16', ...this.env },
    });
    child.stderr!.pipe(createWriteStream(join(this.root, log), { flags: 'a' }));
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** What a child wrote on stderr (its pino log) so far. */
  log(name: string): string {
    const file = join(this.root, `${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** Starts a shard (registered in etcd; a port of 0 picks any). Extra arguments go last. */
  async startShard(id: string, port = 0, extra: string[] = []): Promise<Member> {
    if (this.etcdMembers.length === 0) await this.startEtcd();
    const dataDir = join(this.root, id);
    const child = this.spawn('fs-service/shard/shard-main.ts', ['--id', id, '--port', String(port), '--data', dataDir, '--secret', this.secret, '--replicate-timeout', '3000', ...this.etcd.flatMap((e) => ['--etcd', e]), ...extra], `${id}.log`);
    const listening = await waitForListening(child, `shard ${id}`);
    const member = { id, port: listening.port, dataDir, child };
    this.shards.set(id, member);
    return member;
  }

  async startShards(ids: string[]): Promise<Member[]> {
    if (this.etcdMembers.length === 0) await this.startEtcd();
    return Promise.all(ids.map((id) => this.startShard(id)));
  }

  /**
   * Starts a supervisor (call twice for a standby); a new cluster's first map names the shards
   * started so far. Resolves once the cluster has a map.
   */
  async startSupervisor(options: { replicas?: number } = {}): Promise<number> {
    const name = `sup${this.supervisors.length + 1}`;
    const args = ['--secret', this.secret, '--name', name, '--replicas', String(options.replicas ?? 3), '--initial-shards', [...this.shards.keys()].join(','), ...this.etcd.flatMap((e) => ['--etcd', e])];
    const child = this.spawn('fs-service/control/supervisor-main.ts', args, `${name}.log`);
    const { port } = await waitForListening(child, 'supervisor');
    this.supervisors.push({ port, child });
    const deadline = Date.now() + 30_000;
    while ((await this.adminRequest('GET', '/map').catch(() => ({ body: null }))).body === null) {
      if (Date.now() > deadline) throw new Error('no cluster map 30 s after the supervisor started');
      await new Promise((r) => setTimeout(r, 100));
    }
    return port;
  }

  /** The first supervisor that still runs (any of them answers /map and /status). */
  get supervisor(): { port: number; child: ChildProcess } | null {
    return this.supervisors.find((s) => s.child.exitCode === null && s.child.signalCode === null) ?? null;
  }

  connect(options: Partial<ClusterStorageOptions> = {}): Promise<ClusterStorage> {
    return connectCluster({ etcd: this.etcd, secret: this.secret, ...options });
  }

  /** kill -9 of one shard, waiting until the process is gone. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const member = this.shards.get(id)!;
    if (member.child.exitCode !== null || member.child.signalCode !== null) return;
    const exited = new Promise((resolvePromise) => member.child.once('exit', resolvePromise));
    process.kill(member.child.pid!, signal);
    await exited;
  }

  /** Starts a stopped shard again on the same port and data directory. */
  async restart(id: string): Promise<Member> {
    const member = this.shards.get(id)!;
    return this.startShard(id, member.port);
  }

  /** The admin API of a running supervisor; a command a standby refuses is sent to the leader it names. */
  async adminRequest(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const send = async (base: string) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.secret}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    const first = await send(`http://127.0.0.1:${this.supervisor!.port}`);
    const leader = (first.body as { leader?: { adminUrl?: string } } | null)?.leader?.adminUrl;
    return first.status === 409 && typeof leader === 'string' ? send(leader) : first;
  }

  /** Kills every child this harness started, by pid. */
  async stopAll(): Promise<void> {
    const exits = [...this.children].map((child) => new Promise((resolvePromise) => (child.exitCode !== null || child.signalCode !== null ? resolvePromise(null) : child.once('exit', resolvePromise))));
    for (const child of this.children) {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.all(exits);
  }
}
