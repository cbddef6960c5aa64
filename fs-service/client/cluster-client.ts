import { CircuitBreaker } from './circuit-breaker.js';
import { FsError } from '../contract.js';
import { silentLogger, type Logger } from '../common/logging.js';
import type { FsMetrics } from '../common/metrics.js';
import { ShardConnection, TransportError } from '../wire/shard-connection.js';
import type { Frame } from '../wire/wire-codec.js';
import { QuorumError, Refusal } from '../wire/wire-errors.js';
import { isClusterMap, type ClusterMap, type ShardId } from '../control/vbucket-map.js';

export interface ClusterClientOptions {
  /** host:port of one or more shards; the map names the rest. */
  shards: string[];
  secret: string;
  /** Per request; a pack of hundreds of MB needs a generous value. */
  requestTimeoutMs?: number;
  /** How long a request keeps retrying through a failover before it gives up (EIO). */
  retryWindowMs?: number;
  /** How long a write keeps retrying while the primary lacks a majority (read-only). */
  quorumWindowMs?: number;
  logger?: Logger;
}

export type RequestKind = 'read' | 'write';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Routes requests to the shards of a repository's vbucket: writes to the primary, reads to the
 * primary then the replicas. Refusals (wrong epoch, not the owner, frozen, catching up) changed
 * nothing and are always retried after fixing the map; transport failures are retried only when
 * the request never left, or the operation is idempotent. Each shard has a circuit breaker.
 */
export class ClusterClient {
  private current: ClusterMap | null = null;
  private readonly connections = new Map<string, ShardConnection>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private refreshing: Promise<void> | null = null;
  private readonly revokeListeners: ((repo: string, gen: unknown) => void)[] = [];
  private readonly lossListeners: (() => void)[] = [];
  private readonly logger: Logger;
  readonly roundTrips = { total: 0, byOp: {} as Record<string, number> };

  constructor(
    private readonly options: ClusterClientOptions,
    private readonly metrics: FsMetrics,
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  get map(): ClusterMap {
    if (this.current === null) throw new FsError('EIO', 'not connected to the cluster');
    return this.current;
  }

  /** Loads the map from any reachable shard, waiting for one that has a map. */
  async connect(): Promise<void> {
    const deadline = Date.now() + (this.options.retryWindowMs ?? 15_000);
    for (;;) {
      await this.refreshMap();
      if (this.current !== null) return;
      if (Date.now() > deadline) throw new FsError('EIO', `no shard of ${this.options.shards.join(', ')} has a cluster map`);
      await sleep(200);
    }
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }

  /** A primary revoked the read leases on `repo` (the listener must forget synchronously). */
  onRevoke(listener: (repo: string, gen: unknown) => void): void {
    this.revokeListeners.push(listener);
  }

  /** Every lease became doubtful: a shard connection dropped or the cluster map moved on. */
  onLeasesLost(listener: () => void): void {
    this.lossListeners.push(listener);
  }

  private connection(url: string): ShardConnection {
    let connection = this.connections.get(url);
    if (connection === undefined) {
      const created = new ShardConnection(url, this.options.secret, { requestTimeoutMs: this.options.requestTimeoutMs ?? 10_000, logger: this.logger });
      created.onPush((frame) => this.pushed(created, frame));
      created.onDisconnect(() => this.leasesLost());
      this.connections.set(url, created);
      connection = created;
    }
    return connection;
  }

  /** Forgets first, then says so: the primary holds the write's answer until it hears back. */
  private pushed(connection: ShardConnection, frame: Frame): void {
    if (frame.header.push !== 'revoke' || typeof frame.header.repo !== 'string') return;
    for (const listener of this.revokeListeners) listener(frame.header.repo, frame.header.gen);
    connection.request({ op: 'leaseAck', pid: frame.header.pid }, [], 2_000).catch(() => undefined);
  }

  private leasesLost(): void {
    for (const listener of this.lossListeners) listener();
  }

  private breaker(url: string): CircuitBreaker {
    let breaker = this.breakers.get(url);
    if (breaker === undefined) {
      breaker = new CircuitBreaker();
      this.breakers.set(url, breaker);
    }
    return breaker;
  }

  /** Sends one request and counts it as a round trip. */
  async send(url: string, header: Record<string, unknown>, parts: readonly (Buffer | null)[] = [], timeoutMs?: number): Promise<Frame> {
    const op = String(header.op);
    this.roundTrips.total++;
    this.roundTrips.byOp[op] = (this.roundTrips.byOp[op] ?? 0) + 1;
    this.metrics.roundTrips.inc({ op });
    return this.connection(url).request(header, parts, timeoutMs);
  }

  private install(map: unknown): boolean {
    if (!isClusterMap(map) || map.epoch <= (this.current?.epoch ?? 0)) return false;
    // A primary may have changed: leases it did not grant must not outlive the old map.
    if (this.current !== null) this.leasesLost();
    this.current = map;
    this.logger.debug({ epoch: map.epoch }, 'client installed cluster map');
    return true;
  }

  /** Asks every known shard for its map and keeps the newest (one refresh at a time). */
  refreshMap(): Promise<void> {
    if (this.refreshing !== null) return this.refreshing;
    const urls = new Set([...this.options.shards, ...Object.values(this.current?.shards ?? {}).map((s) => s.url)]);
    this.refreshing = Promise.all(
      [...urls].map(async (url) => {
        try {
          this.install((await this.send(url, { op: 'getMap' }, [], 1_000)).header.map);
        } catch (err) {
          if (err instanceof FsError && err.code === 'EACCES') throw err;
        }
      }),
    )
      .then(() => undefined)
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** Gives a shard whose map is older than ours our map (maps only move forward). */
  private async pushMap(url: string): Promise<void> {
    try {
      await this.send(url, { op: 'setMap', map: this.current }, [], 2_000);
    } catch {
      // it will get the map from the supervisor soon
    }
  }

  /**
   * Sends a request for vbucket `vb` to the right copy, following map changes and failovers
   * until it succeeds, fails authoritatively, or the retry window closes.
   */
  async call(vb: number, kind: RequestKind, header: Record<string, unknown>, parts: readonly (Buffer | null)[], idempotent: boolean): Promise<Frame> {
    const started = Date.now();
    const deadline = started + (this.options.retryWindowMs ?? 12_000);
    const quorumDeadline = started + (this.options.quorumWindowMs ?? 2_000);
    let lastError: unknown = null;
    let pause = 10;
    for (let attempt = 0; ; attempt++) {
      const map = this.map;
      const entry = map.vbuckets[vb]!;
      const targets: ShardId[] = kind === 'write' ? [entry.copies[0]!] : [...entry.copies];
      let again = false;
      for (const id of targets) {
        const url = map.shards[id]?.url;
        if (url === undefined) continue;
        const breaker = this.breaker(url);
        if (!breaker.allow()) {
          lastError = new TransportError(`shard ${id} (${url}) is failing; circuit open`, false);
          continue;
        }
        try {
          const frame = await this.send(url, { ...header, vb, epoch: map.epoch }, parts);
          breaker.success();
          return frame;
        } catch (err) {
          lastError = err;
          if (err instanceof Refusal) {
            breaker.success();
            if (this.install(err.map)) again = true;
            else if (err.reason === 'epoch-new' || err.reason === 'no-map') {
              await this.pushMap(url);
              again = true;
            } else if (err.reason === 'epoch-old' || err.reason === 'not-owner') {
              await this.refreshMap();
              again = this.map.epoch > map.epoch;
            } else if (err.reason === 'not-ready') continue;
            break;
          }
          if (err instanceof TransportError) {
            breaker.failure();
            if (err.sent && !idempotent) throw new FsError('EIO', `outcome unknown, not retried: ${err.message}`);
            continue;
          }
          if (err instanceof QuorumError) {
            if (Date.now() > quorumDeadline) throw err;
            break;
          }
          throw err;
        }
      }
      if (Date.now() > deadline) throw finalError(lastError);
      if (again && attempt < 20) continue;
      await sleep(pause);
      pause = Math.min(pause * 2, 250);
      await this.refreshMap().catch(() => undefined);
    }
  }
}

function finalError(err: unknown): FsError {
  if (err instanceof Refusal) return new FsError('EIO', `cluster unavailable: ${err.message}`);
  if (err instanceof FsError) return err;
  return new FsError('EIO', `cluster unavailable: ${String(err)}`);
}
