import type { PeerPool } from '../wire/peer-pool.js';
import type { ShardStatus } from '../shard/shard-server.js';
import { randomBytes } from 'node:crypto';
import type { Lease, Watcher } from 'etcd3';
import { silentLogger, type Logger } from '../common/logging.js';
import type { Control } from './etcd-control.js';

/** What a shard registers under `shards/<id>`: where it listens and which incarnation it is. */
export interface Registered {
  address: string;
  bootId: string;
}

const PREFIX = 'shards/';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parse(value: string | undefined): Registered | null {
  try {
    const parsed = JSON.parse(value ?? '') as Partial<Registered>;
    return typeof parsed.address === 'string' && typeof parsed.bootId === 'string' ? { address: parsed.address, bootId: parsed.bootId } : null;
  } catch {
    return null;
  }
}

/**
 * Every process's view of the shard registry: id -> address and incarnation, loaded once and
 * then followed with an etcd watch. The map names shard ids; this resolves them to addresses.
 */
export class ShardDirectory {
  private readonly entries = new Map<string, Registered>();
  private readonly listeners: (() => void)[] = [];

  private constructor(private watcher: Watcher | null) {}

  static async open(control: Control, logger: Logger = silentLogger): Promise<ShardDirectory> {
    const directory = new ShardDirectory(null);
    const snapshot = await control.ns.getAll().prefix(PREFIX).exec();
    for (const kv of snapshot.kvs) {
      const found = parse(kv.value.toString());
      if (found !== null) directory.entries.set(control.relative(kv.key).slice(PREFIX.length), found);
    }
    const watcher = await control.ns
      .watch()
      .prefix(PREFIX)
      .startRevision(String(Number(snapshot.header.revision) + 1))
      .create();
    watcher.on('put', (kv) => {
      const found = parse(kv.value.toString());
      if (found === null) return;
      directory.entries.set(control.relative(kv.key).slice(PREFIX.length), found);
      directory.changed();
    });
    watcher.on('delete', (kv) => {
      directory.entries.delete(control.relative(kv.key).slice(PREFIX.length));
      directory.changed();
    });
    watcher.on('error', (err) => logger.warn({ err: err.message }, 'shard registry watch failed; etcd3 retries it'));
    directory.watcher = watcher;
    return directory;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  get(id: string): Registered | undefined {
    return this.entries.get(id);
  }

  addressOf(id: string): string | null {
    return this.entries.get(id)?.address ?? null;
  }

  idOf(address: string): string | undefined {
    for (const [id, entry] of this.entries) if (entry.address === address) return id;
    return undefined;
  }

  ids(): string[] {
    return [...this.entries.keys()].sort();
  }

  async close(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
  }
}

/** Another live process holds the shard id. */
export class ShardIdTakenError extends Error {
  constructor(id: string, holder: Registered, waitedMs: number) {
    super(
      `shard id ${id} is already registered by a live process at ${holder.address} (boot id ${holder.bootId}), still kept alive after ${waitedMs} ms: ` +
        'a shard id is held by one process at a time; stop the other process or choose another id',
    );
    this.name = 'ShardIdTakenError';
  }
}

export interface RegistrationOptions {
  control: Control;
  id: string;
  /** host:port other processes dial. */
  address: string;
  /** Lease TTL in whole seconds (etcd's unit); the registration dies this long after the last keep-alive. */
  ttlSeconds: number;
  /**
   * How much earlier than etcd the shard gives its lease up (ms): the shard stops acting at
   * (keep-alive sent + TTL - margin), etcd cannot expire it before (keep-alive sent + TTL).
   */
  marginMs?: number;
  /** How long to wait for a previous holder of the id (a killed incarnation) to expire. */
  claimWaitMs?: number;
  logger?: Logger;
  /** The lease was lost (it expired in etcd): the process is about to register again as this new incarnation. */
  onNewIncarnation?: (bootId: string) => void;
}

/**
 * A shard's registration `shards/<id> -> {address, bootId}` under an etcd lease it keeps alive.
 * `live()` says whether the lease is certainly still valid in etcd, counted on this process's
 * clock from the sending of the last answered keep-alive: etcd refreshed it after that moment, so
 * etcd's expiry is later than ours. A shard that is not live acts on nothing (docs/fs-service.md,
 * "Fencing"); one whose lease did expire comes back as a new incarnation (new boot id), which the
 * supervisor must adopt before the shard serves again.
 */
export class ShardRegistration {
  private lease!: Lease;
  private validUntil = 0;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private readonly marginMs: number;

  private constructor(
    private readonly o: RegistrationOptions,
    public bootId: string,
  ) {
    this.logger = o.logger ?? silentLogger;
    this.marginMs = o.marginMs ?? 250;
  }

  static async register(o: RegistrationOptions, bootId = newBootId()): Promise<ShardRegistration> {
    const registration = new ShardRegistration(o, bootId);
    await registration.claim();
    registration.loop = registration.keepAlive();
    return registration;
  }

  get key(): string {
    return `${PREFIX}${this.o.id}`;
  }

  /** The lease is certainly valid in etcd now. */
  live(): boolean {
    return !this.stopped && performance.now() < this.validUntil;
  }

  /** Milliseconds of certain validity left (0 when not live). */
  get remainingMs(): number {
    return this.live() ? this.validUntil - performance.now() : 0;
  }

  private async claim(): Promise<void> {
    const ns = this.o.control.ns;
    // A killed predecessor's lease runs out within its TTL, or TTL plus an election after etcd itself restarted.
    const waitMs = this.o.claimWaitMs ?? this.o.ttlSeconds * 3_000 + 2_000;
    const started = Date.now();
    for (;;) {
      const lease = ns.lease(this.o.ttlSeconds, { autoKeepAlive: false });
      const sentAt = performance.now();
      const id = await lease.grant();
      const value = JSON.stringify({ address: this.o.address, bootId: this.bootId } satisfies Registered);
      const result = await ns.if(this.key, 'Create', '==', 0).then(ns.put(this.key).value(value).lease(id)).else(ns.get(this.key)).commit();
      if (result.succeeded) {
        this.lease = lease;
        this.validUntil = sentAt + this.o.ttlSeconds * 1000 - this.marginMs;
        this.logger.info({ id: this.o.id, address: this.o.address, bootId: this.bootId, ttlSeconds: this.o.ttlSeconds }, 'registered in etcd');
        return;
      }
      await lease.revoke().catch(() => undefined);
      const holder = parse(result.responses[0]?.response_range?.kvs[0]?.value?.toString());
      const waited = Date.now() - started;
      if (waited > waitMs) throw new ShardIdTakenError(this.o.id, holder ?? { address: '?', bootId: '?' }, waited);
      if (waited === 0 || holder === null) this.logger.info({ id: this.o.id, holder }, 'shard id still registered by an earlier process; waiting for its lease to expire');
      await sleep(250);
    }
  }

  private async keepAlive(): Promise<void> {
    // A quarter of the TTL: the certain validity left never drops far below 1.25 s of a 2 s lease, more than a read lease.
    const intervalMs = (this.o.ttlSeconds * 1000) / 4;
    while (!this.stopped) {
      const sentAt = performance.now();
      let pause = intervalMs;
      try {
        const res = await this.lease.keepaliveOnce({ deadline: new Date(Date.now() + intervalMs * 2) });
        this.validUntil = Math.max(this.validUntil, sentAt + Number(res.TTL) * 1000 - this.marginMs);
      } catch (err) {
        // Another member may answer: etcd3 picks the next endpoint, so try again soon rather than a third of a TTL later.
        pause = 100;
        if (this.stopped) return;
        if (this.o.control.isLeaseLost(err)) {
          await this.reincarnate();
          continue;
        }
        // The member the client used may be gone: renew through any other at once.
        const retriedAt = performance.now();
        const renewed = await this.o.control.keepAliveAnywhere(await this.lease.grant()).catch(() => null);
        if (renewed === 'lost') {
          await this.reincarnate();
          continue;
        }
        if (renewed !== null) {
          this.validUntil = Math.max(this.validUntil, retriedAt + renewed * 1000 - this.marginMs);
          pause = intervalMs;
        }
        // etcd unreachable or without a leader: keep acting only while its lack of quorum is proven.
        else if (await this.o.control.quorumLost().catch(() => false)) this.validUntil = Math.max(this.validUntil, sentAt + this.o.ttlSeconds * 1000 - this.marginMs);
        else if (!this.live()) this.logger.warn({ id: this.o.id, err: err instanceof Error ? err.message : String(err) }, 'etcd keep-alive failing: not acting until the lease is confirmed');
      }
      await sleep(Math.max(0, pause - (performance.now() - sentAt)));
    }
  }

  /** The lease expired in etcd: this incarnation is dead to the cluster; come back as a new one. */
  private async reincarnate(): Promise<void> {
    this.validUntil = 0;
    const previous = this.bootId;
    this.bootId = newBootId();
    this.logger.warn({ id: this.o.id, previous, bootId: this.bootId }, 'etcd lease lost: registering again as a new incarnation');
    // The shard forgets its trust before the new registration can make it live again.
    this.o.onNewIncarnation?.(this.bootId);
    while (!this.stopped) {
      try {
        await this.claim();
        return;
      } catch (err) {
        this.logger.warn({ id: this.o.id, err: err instanceof Error ? err.message : String(err) }, 'could not register again; retrying');
        await sleep(500);
      }
    }
  }

  /** Gives the id back at once (a graceful stop), so a successor needs no wait. */
  async close(): Promise<void> {
    this.stopped = true;
    this.validUntil = 0;
    await this.lease?.revoke().catch(() => undefined);
    await this.loop.catch(() => undefined);
  }
}

export function newBootId(): string {
  return randomBytes(8).toString('hex');
}

/** Each registered shard's answer to `status` (2 s at most; a shard that does not answer is absent). */
export async function askStatuses(directory: ShardDirectory, peers: PeerPool, timeoutMs = 2_000): Promise<Map<string, ShardStatus>> {
  const out = new Map<string, ShardStatus>();
  await Promise.all(
    directory.ids().map(async (id) => {
      const url = directory.addressOf(id);
      if (url === null) return;
      try {
        const reply = await peers.get(url).request({ op: 'status' }, [], timeoutMs);
        out.set(id, reply.header.status as ShardStatus);
      } catch {
        // not answering: the health says so
      }
    }),
  );
  return out;
}
