import { CircuitBreaker } from './circuit-breaker.js';
import { FsError, StorageUnavailable } from '../contract.js';
import { silentLogger, type Logger } from '../common/logging.js';
import type { FsMetrics } from '../common/metrics.js';
import { ShardConnection, TransportError } from '../wire/shard-connection.js';
import type { Frame } from '../wire/wire-codec.js';
import { QuorumError, Refusal } from '../wire/wire-errors.js';
import { isClusterMap, type ClusterMap, type ShardId } from '../control/vbucket-map.js';
import type { Watcher } from 'etcd3';
import { Control, type ControlOptions } from '../control/etcd-control.js';
import { MapStore } from '../control/map-store.js';
import { checkClusterSecret, WrongSecretError } from '../control/secret-check.js';
import { ShardDirectory } from '../control/shard-registry.js';
import { newer, positionFromWire, positionToWire, type StreamPosition } from '../wire/stream-position.js';

export interface ClusterClientOptions extends ControlOptions {
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

/** What a client is told to wait before it retries a write refused as read-only, or one that met a failover. */
const RETRY_READ_ONLY_S = 5;
const RETRY_FAILOVER_S = 2;
/**
 * After a write to a vbucket gave up as unavailable, further writes to it fail at once for this
 * long: isomorphic-git answers a failed write with a mkdir and the same write again, and each
 * would otherwise wait out its own window (a REST write took 4 to 14 s to fail).
 */
const REFUSAL_MEMORY_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Routes requests to the shards of a repository's vbucket: writes to the primary, reads to the
 * primary then the replicas, each read asking for at least the stream position this client has
 * already seen of the vbucket (monotonic reads across a failover, see ShardServer.reachSeen).
 * The map and the shards' addresses come from etcd (read at connect, then followed by watches);
 * shard ids are resolved to addresses through the registry. Refusals (wrong epoch, not the owner,
 * frozen, catching up, behind) changed nothing and are always retried after fixing the map;
 * transport failures are retried only when the request never left, or the operation is
 * idempotent. Each shard has a circuit breaker.
 */
export class ClusterClient {
  private current: ClusterMap | null = null;
  private readonly connections = new Map<string, ShardConnection>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private refreshing: Promise<void> | null = null;
  private control: Control | null = null;
  private store: MapStore | null = null;
  private directory: ShardDirectory | null = null;
  private mapWatcher: Watcher | null = null;
  private readonly revokeListeners: ((repo: string, gen: unknown) => void)[] = [];
  private readonly lossListeners: (() => void)[] = [];
  /** vbucket -> the refusal its writes get until `until` (see REFUSAL_MEMORY_MS). */
  private readonly refusedWrites = new Map<number, { until: number; error: StorageUnavailable }>();
  /** vbucket -> the newest stream position an answer reflected; reads ask for at least that. */
  private readonly seen = new Map<number, StreamPosition>();
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

  /** Checks the secret, loads the registry and the map from etcd (waiting for a first map), then follows both. */
  async connect(): Promise<void> {
    const control = await Control.open(this.options);
    this.control = control;
    try {
      await checkClusterSecret(control, this.options.secret);
    } catch (err) {
      if (err instanceof WrongSecretError) throw new FsError('EACCES', err.message);
      throw new FsError('EIO', `cannot reach etcd at ${control.endpoints.join(', ')}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.directory = await ShardDirectory.open(control, this.logger);
    this.store = new MapStore(control, this.logger);
    const deadline = Date.now() + (this.options.retryWindowMs ?? 15_000);
    let revision = 0;
    for (;;) {
      const stored = await this.store.read();
      if (stored !== null) {
        this.install(stored.map);
        revision = stored.revision;
        break;
      }
      if (Date.now() > deadline) throw new FsError('EIO', `no cluster map in etcd at ${control.prefix}map yet (is a supervisor running?)`);
      await sleep(200);
    }
    this.mapWatcher = await this.store.watch(revision, (next) => this.install(next.map));
  }

  close(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
    void this.mapWatcher?.cancel().catch(() => undefined);
    void this.directory?.close();
    this.control?.close();
  }

  /** host:port of a shard id, from the registry (null: not registered now). */
  addressOf(id: ShardId): string | null {
    return this.directory?.addressOf(id) ?? null;
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

  private saw(vb: number, pos: StreamPosition | null): void {
    if (pos === null) return;
    const known = this.seen.get(vb);
    if (known === undefined || newer(pos, known)) this.seen.set(vb, pos);
  }

  /** Reads the map from etcd now (the watch may lag a refusal that names a newer one); one read at a time. */
  refreshMap(): Promise<void> {
    if (this.refreshing !== null) return this.refreshing;
    const store = this.store;
    if (store === null) return Promise.resolve();
    // Bounded: while etcd has no quorum a read waits for a leader, and requests keep their last map.
    let timer: NodeJS.Timeout | undefined;
    const bounded = Promise.race([store.read(), new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 1_000)))]).finally(() => clearTimeout(timer));
    this.refreshing = bounded
      .then((stored) => {
        if (stored !== null) this.install(stored.map);
      })
      .catch(() => undefined)
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
    if (kind !== 'write') return this.attempt(vb, kind, header, parts, idempotent);
    const refused = this.refusedWrites.get(vb);
    if (refused !== undefined && refused.until > Date.now()) throw refused.error;
    try {
      return await this.attempt(vb, kind, header, parts, idempotent);
    } catch (err) {
      // Not an unknown outcome: it says nothing of the next write, which a new primary may take.
      if (err instanceof StorageUnavailable && err.reason !== 'outcome-unknown') this.refusedWrites.set(vb, { until: Date.now() + REFUSAL_MEMORY_MS, error: err });
      throw err;
    }
  }

  /** A vbucket no primary can be chosen for (the leader marked it): its writes are refused at once. */
  private readOnly(vb: number): StorageUnavailable | null {
    const entry = this.map.vbuckets[vb]!;
    if (!entry.frozen || entry.noQuorum !== true) return null;
    return new StorageUnavailable('read-only', `vbucket ${vb} has fewer than a majority of its copies (${entry.copies.join(', ')}) alive; it takes no writes until one returns`, RETRY_READ_ONLY_S);
  }

  private async attempt(vb: number, kind: RequestKind, header: Record<string, unknown>, parts: readonly (Buffer | null)[], idempotent: boolean): Promise<Frame> {
    const started = Date.now();
    const deadline = started + (this.options.retryWindowMs ?? 12_000);
    const quorumDeadline = started + (this.options.quorumWindowMs ?? 2_000);
    let lastError: unknown = null;
    let pause = 10;
    // A primary that answered QuorumError had applied the write itself, but could not replicate
    // it: what a later refusal says of this write is then that it may or may not have landed.
    let applied: QuorumError | null = null;
    const refusedNow = (refusal: StorageUnavailable): StorageUnavailable =>
      applied === null
        ? refusal
        : new StorageUnavailable('outcome-unknown', `vbucket ${vb} lost the majority of its copies while the write was being replicated (${applied.message.replace(/^EIO: /, '')}); it may or may not have been applied: read it back before writing again`, refusal.retryAfterSeconds);
    for (let attempt = 0; ; attempt++) {
      const map = this.map;
      const entry = map.vbuckets[vb]!;
      const readOnly = kind === 'write' ? this.readOnly(vb) : null;
      if (readOnly !== null) throw refusedNow(readOnly);
      const targets: ShardId[] = kind === 'write' ? [entry.copies[0]!] : [...entry.copies];
      let again = false;
      for (const id of targets) {
        const url = this.addressOf(id);
        if (url === null) {
          lastError = new TransportError(`shard ${id} is not registered (dead to the cluster)`, false);
          continue;
        }
        const breaker = this.breaker(url);
        if (!breaker.allow()) {
          lastError = new TransportError(`shard ${id} (${url}) is failing; circuit open`, false);
          continue;
        }
        try {
          const seen = kind === 'read' ? this.seen.get(vb) : undefined;
          const frame = await this.send(url, { ...header, vb, epoch: map.epoch, ...(seen === undefined ? {} : { after: positionToWire(seen) }) }, parts);
          this.saw(vb, positionFromWire(frame.header.pos));
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
            } else if (err.reason === 'not-ready' || err.reason === 'fenced') continue;
            break;
          }
          if (err instanceof TransportError) {
            breaker.failure();
            if (err.sent && !idempotent) throw new StorageUnavailable('outcome-unknown', `the primary of vbucket ${vb} was lost while the write was on its way (${err.message.replace(/^EIO: /, '')}); it may or may not have been applied: read it back before writing again`, RETRY_FAILOVER_S);
            continue;
          }
          if (err instanceof QuorumError) {
            if (err.applied) applied = err;
            if (Date.now() > quorumDeadline) throw refusedNow(new StorageUnavailable('read-only', `vbucket ${vb}: ${err.message.replace(/^EIO: read-only: /, '')}`, RETRY_READ_ONLY_S));
            break;
          }
          throw err;
        }
      }
      if (Date.now() > deadline) throw finalError(vb, kind, lastError, Date.now() - started);
      if (again && attempt < 20) continue;
      await sleep(pause);
      pause = Math.min(pause * 2, 250);
      await this.refreshMap().catch(() => undefined);
    }
  }
}

/**
 * The retry window closed: a write met a primary that is gone or being replaced (a failover that
 * did not finish in time), a read found no copy to answer. Other errors stand as they are.
 */
function finalError(vb: number, kind: RequestKind, err: unknown, waitedMs: number): FsError {
  if (err instanceof FsError && !(err instanceof Refusal) && !(err instanceof TransportError)) return err;
  const why = err instanceof Error ? err.message : String(err);
  const waited = `for ${Math.round(waitedMs / 100) / 10} s`;
  if (kind === 'write') return new StorageUnavailable('failover', `no primary of vbucket ${vb} took the write ${waited} (${why})`, RETRY_FAILOVER_S);
  return new StorageUnavailable('unreachable', `no copy of vbucket ${vb} answered ${waited} (${why})`, RETRY_FAILOVER_S);
}
