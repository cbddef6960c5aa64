/**
 * Starts real shard and supervisor processes (`node --import tsx ...`) on 127.0.0.1 for the
 * cluster tests and the benchmark, and kills every child it started by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectCluster, type ClusterStorage, type ClusterStorageOptions } from '../../fs-service/index.js';

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
  supervisor: { port: number; child: ChildProcess } | null = null;
  private readonly children = new Set<ChildProcess>();

  /** `env` is added to the children's environment (for example `{ LOG_LEVEL: 'debug' }`). */
  constructor(
    readonly root: string,
    readonly secret = TEST_SECRET,
    private readonly env: Record<string, string> = {},
  ) {
    mkdirSync(root, { recursive: true });
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

  async startShard(id: string, port = 0): Promise<Member> {
    const dataDir = join(this.root, id);
    const child = this.spawn('fs-service/shard/shard-main.ts', ['--id', id, '--port', String(port), '--data', dataDir, '--secret', this.secret, '--replicate-timeout', '3000'], `${id}.log`);
    const listening = await waitForListening(child, `shard ${id}`);
    const member = { id, port: listening.port, dataDir, child };
    this.shards.set(id, member);
    return member;
  }

  async startShards(ids: string[]): Promise<Member[]> {
    return Promise.all(ids.map((id) => this.startShard(id)));
  }

  async startSupervisor(options: { heartbeatMs?: number; deadAfterMs?: number; replicas?: number } = {}): Promise<number> {
    const args = ['--data', join(this.root, 'supervisor'), '--secret', this.secret, '--heartbeat', String(options.heartbeatMs ?? 250), '--dead-after', String(options.deadAfterMs ?? 1_500), '--replicas', String(options.replicas ?? 3)];
    for (const member of this.shards.values()) args.push('--shard', `${member.id}=127.0.0.1:${member.port}`);
    const child = this.spawn('fs-service/control/supervisor-main.ts', args, 'supervisor.log');
    const { port } = await waitForListening(child, 'supervisor');
    this.supervisor = { port, child };
    return port;
  }

  addresses(): string[] {
    return [...this.shards.values()].map((m) => `127.0.0.1:${m.port}`);
  }

  connect(options: Partial<ClusterStorageOptions> = {}): Promise<ClusterStorage> {
    return connectCluster({ shards: this.addresses(), secret: this.secret, ...options });
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

  async adminRequest(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`http://127.0.0.1:${this.supervisor!.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.secret}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
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
