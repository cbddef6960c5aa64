import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { CatchUp, type CatchUpProgress } from './catch-up.js';
import { fetchFiles, fetchRange } from './catch-up-source.js';
import { FsError, StorageUnavailable } from '../contract.js';
import { DiskEngine } from '../engine/disk-engine.js';
import { FrameServer, type Peer, type Reply } from '../wire/frame-server.js';
import { silentLogger, type Logger } from '../common/logging.js';
import { FsMetrics } from '../common/metrics.js';
import { PeerPool } from '../wire/peer-pool.js';
import { PrimaryStreams } from './primary-streams.js';
import { ReplicaStreams, type Position } from './replica-streams.js';
import { RepoGenerations } from './repo-generations.js';
import type { RepoDisk } from '../engine/repo-disk.js';
import { ShardMapState } from './shard-map-state.js';
import { decodeMutation, type Frame } from '../wire/wire-codec.js';
import type { Effect } from '../engine/mutations.js';
import { Refusal } from '../wire/wire-errors.js';
import { positionFromWire, positionToWire, type StreamPosition } from '../wire/stream-position.js';
import { VBUCKETS, vbucketOf, type ClusterMap } from '../control/vbucket-map.js';
import { assertRepoName } from '../engine/path-safety.js';
import { isNotFound } from '../engine/fs-errors.js';
import { isRequestId, outsideRequest, runWithRequestId } from '../common/request-context.js';
import { LEASE_MS, ReadLeases } from './read-leases.js';
import type { Watcher } from 'etcd3';
import { Control, type ControlOptions } from '../control/etcd-control.js';
import { MapStore } from '../control/map-store.js';
import { checkClusterSecret } from '../control/secret-check.js';
import { newBootId, ShardDirectory, ShardRegistration } from '../control/shard-registry.js';

export interface ShardServerOptions {
  /** This shard's id in the cluster map. */
  id: string;
  dataDir: string;
  secret: string;
  /** etcd endpoints and cluster name: the registry, the map and the secret's verifier. */
  control: ControlOptions;
  /** TTL (s) of the registration lease: the shard is dead to the cluster this long after its last keep-alive. */
  leaseTtlSeconds?: number;
  /** How long to wait at start for an earlier process's registration of this id to expire. */
  claimWaitMs?: number;
  /** host:port other processes dial (default host:port it listens on). */
  advertise?: string;
  /** Loopback unless told otherwise: the protocol is meant for a private network. */
  host?: string;
  port?: number;
  logger?: Logger;
  registry?: Registry;
  /** A copy slower than this to acknowledge an update is dropped from the in-sync set. */
  replicateTimeoutMs?: number;
  catchUpIntervalMs?: number;
  followerCheckMs?: number;
}

/** What a shard reports to the supervisor on each heartbeat. */
export interface ShardStatus {
  id: string;
  bootId: string;
  epoch: number;
  trusted: boolean;
  /** Its etcd lease is certainly valid: it acts (see ShardRegistration.live). */
  live: boolean;
  /** Per held vbucket: where this copy stands (primary or copy). */
  positions: Record<number, Position & { primary: boolean }>;
  /** Catch-ups running now. */
  catchingUp: number;
  /**
   * Held copies that cannot serve yet: not in sync, catching up, or waiting for catch-up to
   * start; every held vbucket while the map does not vouch for this incarnation.
   */
  behind: number[];
  /** Files and bytes the running catch-ups fetch. */
  progress: CatchUpProgress;
  /** Vbuckets it leads whose writes are refused now (too few copies in sync). */
  readOnly: number[];
  /** Per copy, the vbuckets it leads in which that copy is not in sync. */
  notInSync: Record<string, number[]>;
}

type Handler = (frame: Frame, peer: Peer) => Promise<Reply> | Reply;

/**
 * The operations a request of a front end causes: they run under its request id (`rid`), so the
 * replication they trigger carries it on, and each is logged at debug. Map and supervision
 * traffic never runs under an id, whoever sent it.
 */
/** How long a replica behind what a client has seen waits for its stream before refusing the read. */
const REACH_WAIT_MS = 500;
const REQUEST_OPS: ReadonlySet<string> = new Set(['readFile', 'readRange', 'stat', 'readdir', 'readlink', 'readMany', 'mutate', 'listRepos', 'replicate']);

/** Failures that are answers (isomorphic-git probes for absence all the time): debug, not warn. */
const ANSWER_CODES: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY', 'EISDIR']);

/**
 * A shard process: owns the files of the vbuckets the cluster map gives it, serves them to
 * clients that present the cluster secret and the current map epoch, replicates writes of the
 * vbuckets it leads, follows the ones it copies, and catches up before it serves.
 */
export class ShardServer {
  /** Prefix of this process's generation tokens (the incarnation, bootId, may change; this does not). */
  private readonly processId = randomBytes(8).toString('hex');
  readonly metrics: FsMetrics;
  private readonly logger: Logger;
  private readonly generations: RepoGenerations;
  private readonly leases: ReadLeases;
  private readonly peers: PeerPool;
  private mapState!: ShardMapState;
  private primary!: PrimaryStreams;
  private replica!: ReplicaStreams;
  private catchUp!: CatchUp;
  private server!: FrameServer;
  private timers: NodeJS.Timeout[] = [];
  private control!: Control;
  private directory: ShardDirectory | null = null;
  private registration: ShardRegistration | null = null;
  private mapWatcher: Watcher | null = null;
  private readonly handlers: Record<string, Handler>;
  port = 0;

  private constructor(
    private readonly options: ShardServerOptions,
    private readonly engine: DiskEngine,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.metrics = new FsMetrics(options.registry === undefined ? {} : { registry: options.registry });
    this.generations = new RepoGenerations(this.processId);
    this.leases = new ReadLeases(undefined, (outcome) => this.metrics.leaseRevocations.inc({ outcome }));
    this.peers = new PeerPool(options.secret, { logger: this.logger, requestTimeoutMs: 10_000 });
    this.handlers = {
      ping: () => ({}),
      getMap: () => ({ header: { map: this.mapState.map } }),
      setMap: async (f) => ({ header: { installed: await this.mapState.install(f.header.map), epoch: this.mapState.epoch } }),
      status: (f) => this.status(f),
      readFile: (f) => this.read(f, 'readFile', async (disk) => this.sent({ parts: [await disk.readFile(f.header.path)] })),
      readRange: (f) => this.read(f, 'readRange', async (disk) => this.sent({ parts: [await disk.readRange(f.header.path, f.header.offset, f.header.length)] })),
      stat: (f) => this.read(f, 'stat', async (disk) => ({ header: { stat: await disk.stat(f.header.path, f.header.follow !== false) } })),
      readdir: (f) => this.read(f, 'readdir', async (disk) => ({ header: { names: await disk.readdir(f.header.path) } })),
      readlink: (f) => this.read(f, 'readlink', async (disk) => ({ header: { target: await disk.readlink(f.header.path) } })),
      readMany: (f, peer) => this.read(f, 'readMany', async (disk) => this.sent({ parts: await disk.readMany(f.header.paths) }), peer),
      leaseAck: (f, peer) => {
        this.leases.acknowledge(peer, f.header.pid);
        return {};
      },
      mutate: (f) => this.mutate(f),
      listRepos: (f) => this.listRepos(f),
      replicate: (f) => this.replica.receive(f),
      syncBegin: async (f) => ({ header: await this.primary.syncBegin(vbOf(f), f.header.term, f.header.from) }),
      syncDone: (f) => {
        this.primary.syncDone(vbOf(f), f.header.term, f.header.from);
        return {};
      },
      followState: (f) => ({ header: { notInSync: this.primary.notInSync(f.header.vbs as { vb: number; term: number }[], String(f.header.from)) } }),
      manifest: async (f) => ({ header: { entries: await this.leaderOnly(f, () => this.engine.manifest(vbOf(f))) } }),
      fetch: async (f) => this.sent(await this.leaderOnly(f, () => this.metrics.time('fetch', 'shard', () => fetchFiles(this.engine, vbOf(f), f.header.paths, f.header.limit)))),
      fetchRange: async (f) =>
        this.sent(await this.leaderOnly(f, () => this.metrics.time('fetchRange', 'shard', () => fetchRange(this.engine, vbOf(f), f.header.path, f.header.offset, f.header.length)))),
    };
  }

  static async start(options: ShardServerOptions): Promise<ShardServer> {
    const engine = await DiskEngine.open(options.dataDir, options.logger === undefined ? {} : { logger: options.logger });
    const shard = new ShardServer(options, engine);
    try {
      await shard.boot();
    } catch (err) {
      await shard.stop().catch(() => undefined);
      throw err;
    }
    return shard;
  }

  /** The incarnation the registry names (a new one after a lost lease). */
  get bootId(): string {
    return this.mapState.bootId;
  }

  /** The etcd lease is certainly valid: this shard may act. */
  private live(): boolean {
    return this.registration?.live() === true;
  }

  private async boot(): Promise<void> {
    const o = this.options;
    const common = { self: o.id, peers: this.peers, logger: this.logger, metrics: this.metrics };
    this.control = await Control.open(o.control);
    await checkClusterSecret(this.control, o.secret);
    const directory = await ShardDirectory.open(this.control, this.logger);
    this.directory = directory;
    this.mapState = new ShardMapState(o.id, newBootId(), directory, join(this.engine.dataDir, '.shard', 'map.json'), join(this.engine.dataDir, '.tmp'), this.engine.dataDir, this.logger);
    await this.mapState.load();
    const store = new MapStore(this.control, this.logger);
    const stored = await store.read();
    const local = this.mapState.epoch;
    if (stored !== null && stored.map.epoch < local) {
      throw new Error(
        `this data folder (${this.engine.dataDir}) holds a cluster map of epoch ${local}, newer than the map in etcd (${this.control.prefix}map, epoch ${stored.map.epoch}): ` +
          'the folder belongs to another cluster, or etcd lost its data; point --etcd and --cluster at the cluster it belongs to (a folder of the supervisor before etcd is adopted with the supervisor\'s --adopt-map)',
      );
    }
    this.primary = new PrimaryStreams({ ...common, mapState: this.mapState, replicateTimeoutMs: o.replicateTimeoutMs ?? 5_000 });
    this.replica = new ReplicaStreams({ ...common, mapState: this.mapState, engine: this.engine, generations: this.generations });
    this.catchUp = new CatchUp({ ...common, mapState: this.mapState, engine: this.engine, replica: this.replica });
    this.mapState.onChange((next, previous) => this.onMap(next, previous));
    if (this.mapState.map !== null) this.onMap(this.mapState.map, null);
    if (stored !== null) await this.mapState.install(stored.map);
    this.mapWatcher = await store.watch(stored?.revision ?? 0, (next) => {
      if (next.map.epoch < this.mapState.epoch) this.logger.error({ etcd: next.map.epoch, local: this.mapState.epoch }, 'the map in etcd is older than this shard\'s: ignored');
      this.mapState.install(next.map).catch((err: unknown) => this.logger.error({ err: String(err) }, 'could not install the map from etcd'));
    });
    this.server = new FrameServer({
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 0,
      secret: o.secret,
      logger: this.logger,
      handler: (frame, peer) => this.dispatch(frame, peer),
      onPeerClosed: (peerId) => this.leases.dropPeer(peerId),
      http: (request, response, authorized) => {
        if (request.url === '/healthz') {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ id: o.id, epoch: this.mapState.epoch, trusted: this.mapState.trusted, live: this.live() }));
          return true;
        }
        if (request.url === '/metrics') {
          if (!authorized) {
            response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
            return true;
          }
          void this.metrics.registry.metrics().then((text) => response.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text));
          return true;
        }
        return false;
      },
    });
    this.port = await this.server.listen();
    this.registration = await ShardRegistration.register(
      {
        control: this.control,
        id: o.id,
        address: o.advertise ?? `${o.host ?? '127.0.0.1'}:${this.port}`,
        ttlSeconds: o.leaseTtlSeconds ?? 2,
        ...(o.claimWaitMs === undefined ? {} : { claimWaitMs: o.claimWaitMs }),
        logger: this.logger,
        onNewIncarnation: (bootId) => this.newIncarnation(bootId),
      },
      this.mapState.bootId,
    );
    this.timers.push(setInterval(() => this.catchUp.tick(), o.catchUpIntervalMs ?? 200));
    this.timers.push(setInterval(() => void this.catchUp.checkWithPrimaries(), o.followerCheckMs ?? 1_000));
    for (const timer of this.timers) timer.unref();
    this.logger.info({ id: o.id, port: this.port, bootId: this.bootId, epoch: this.mapState.epoch }, 'shard listening');
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    // The id is given back first: the supervisor fails over at once instead of after the lease.
    await this.registration?.close();
    await this.mapWatcher?.cancel().catch(() => undefined);
    await this.directory?.close();
    this.control?.close();
    await this.server?.close();
    this.peers.closeAll();
    await this.engine.close();
  }

  /**
   * The lease expired in etcd: the cluster may already have replaced this shard. It trusts
   * nothing it held (every copy catches up again) until the supervisor vouches for the new
   * incarnation.
   */
  private newIncarnation(bootId: string): void {
    this.mapState.bootId = bootId;
    this.replica.markAllOutOfSync();
  }

  private onMap(next: ClusterMap, previous: ClusterMap | null): void {
    // A map can arrive while serving a request (a copy asks its primary for it): the catch-ups
    // and drops it starts are not that request's work.
    outsideRequest(() => this.applyMap(next, previous));
  }

  private applyMap(next: ClusterMap, previous: ClusterMap | null): void {
    for (let vb = 0; vb < VBUCKETS; vb++) this.leases.leads(vb, next.vbuckets[vb]!.copies[0] === this.options.id, this.predecessorGone(vb, previous));
    this.primary.onMap(next);
    this.replica.onMap(next);
    this.catchUp.tick();
    if (previous === null) return;
    // Data of vbuckets this shard no longer holds (moved away by a rebalance) is removed.
    for (let vb = 0; vb < VBUCKETS; vb++) {
      const was = previous.vbuckets[vb]!;
      const now = next.vbuckets[vb]!;
      const held = (e: typeof now) => e.copies.includes(this.options.id) || e.learners.includes(this.options.id);
      if (held(was) && !held(now)) void this.drop(vb, held);
    }
  }

  /**
   * The primary before `previous`'s successor no longer holds the etcd lease the map vouched for
   * (it died, was paused past it, or came back as a new incarnation): then none of its read leases
   * can be live. A predecessor still registered as the same incarnation (a rebalance) may have
   * holders; so may anyone when the history is unknown (previous null, at start).
   */
  private predecessorGone(vb: number, previous: ClusterMap | null): boolean {
    if (previous === null) return false;
    const predecessor = previous.vbuckets[vb]!.copies[0]!;
    if (predecessor === this.options.id) return false;
    const vouched = previous.shards[predecessor]?.bootId ?? null;
    return vouched !== null && this.directory?.get(predecessor)?.bootId !== vouched;
  }

  /** Removes a copy given away, once nothing is still writing into it. */
  private async drop(vb: number, held: (e: ClusterMap['vbuckets'][number]) => boolean): Promise<void> {
    try {
      await Promise.all([this.replica.drain(vb), this.catchUp.settled(vb)]);
      const entry = this.mapState.entry(vb);
      if (entry !== null && held(entry)) return;
      await this.engine.dropVbucket(vb);
      this.logger.info({ vb }, 'dropped a vbucket copy that moved away');
    } catch (err) {
      this.logger.error({ vb, err: String(err) }, 'could not drop a vbucket');
    }
  }

  private dispatch(frame: Frame, peer: Peer): Promise<Reply> | Reply {
    const op = String(frame.header.op);
    // A request id that is not a short plain token is ignored, never logged.
    const requestId = isRequestId(frame.header.rid) ? frame.header.rid : undefined;
    if (requestId !== undefined && REQUEST_OPS.has(op)) return runWithRequestId(requestId, () => this.observed(op, frame, peer, requestId));
    return this.observed(op, frame, peer, requestId);
  }

  /**
   * Runs one request (synchronously up to its first await, which replication order relies on).
   * Refusals and failures are logged at warn; at debug, every request op with its duration. At
   * info nothing is measured or logged for a request that succeeds.
   */
  private observed(op: string, frame: Frame, peer: Peer, requestId: string | undefined): Promise<Reply> {
    const debug = REQUEST_OPS.has(op) && this.logger.isLevelEnabled('debug');
    const started = debug ? performance.now() : 0;
    let pending: Promise<Reply> | Reply;
    try {
      const handler = Object.hasOwn(this.handlers, op) ? this.handlers[op] : undefined;
      if (handler === undefined) throw new FsError('EINVAL', `unknown operation ${op}`);
      pending = handler(frame, peer);
    } catch (err) {
      pending = Promise.reject(err);
    }
    const fields = () => ({ op, ...subject(frame.header), ...(requestId === undefined ? {} : { requestId }), ...(debug ? { ms: elapsed(started) } : {}) });
    return Promise.resolve(pending).then(
      debug
        ? (reply) => {
            this.logger.debug(fields(), 'fs request');
            return reply;
          }
        : undefined,
      (err: unknown) => {
        const refusal = err instanceof Refusal;
        const code = err instanceof FsError ? err.code : 'EIO';
        const answer = !refusal && err instanceof FsError && ANSWER_CODES.has(code);
        if (answer && !debug) throw err;
        const failure = { ...fields(), code, ...(refusal ? { reason: err.reason } : {}), err: err instanceof Error ? err.message : String(err) };
        if (answer) this.logger.debug(failure, 'fs request');
        else this.logger.warn(failure, refusal ? 'fs request refused' : 'fs request failed');
        throw err;
      },
    );
  }

  private sent(reply: Reply): Reply {
    let bytes = 0;
    for (const part of reply.parts ?? []) bytes += part?.length ?? 0;
    this.metrics.moved('read', 'shard', bytes);
    return reply;
  }

  // ---- client requests ---------------------------------------------------------------------

  /** Checks the epoch and that the vbucket is the repository's and is held here. */
  private route(frame: Frame): { vb: number; repo: string; disk: RepoDisk } {
    const map = this.mapState.requireEpoch(frame.header.epoch);
    const repo = assertRepoName(frame.header.repo);
    const vb = vbOf(frame);
    if (vbucketOf(repo) !== vb) throw new FsError('EINVAL', `repository ${repo} does not belong to vbucket ${vb}`);
    const entry = map.vbuckets[vb]!;
    if (!entry.copies.includes(this.options.id) && !entry.learners.includes(this.options.id)) {
      throw new Refusal('not-owner', `shard ${this.options.id} does not hold vbucket ${vb}`, map);
    }
    return { vb, repo, disk: this.engine.repo(vb, repo) };
  }

  private canServeRead(vb: number): boolean {
    if (!this.live()) return false;
    const entry = this.mapState.entry(vb)!;
    if (entry.copies[0] === this.options.id) return this.mapState.trusted;
    return this.replica.canServe(vb);
  }

  /** `peer` set: the client asks for a read lease, granted only by a trusted, unfrozen primary. */
  private async read(frame: Frame, op: string, run: (disk: RepoDisk) => Promise<Reply>, peer?: Peer): Promise<Reply> {
    return this.metrics.time(op, 'shard', async () => {
      const { vb, repo, disk } = this.route(frame);
      this.requireLive();
      if (!this.canServeRead(vb)) throw new Refusal('not-ready', `shard ${this.options.id} is catching up on vbucket ${vb}`);
      await this.reachSeen(vb, positionFromWire(frame.header.after));
      const key = `${vb}/${repo}`;
      const gen = this.generations.token(key);
      // Granted before the files are read: a change that lands after this point revokes it.
      const lease = peer !== undefined && frame.header.lease === true && this.grantsLeases(vb) ? { lease: this.leases.grant(peer, key) } : {};
      try {
        const reply = await run(disk);
        return { header: { ...reply.header, gen, ...lease, ...this.seenUpTo(vb) }, parts: reply.parts ?? [] };
      } catch (err) {
        // A client that caches absence asks for it as an answer carrying the generation.
        if (frame.header.missingOk === true && isNotFound(err)) return { header: { missing: (err as FsError).code, gen, ...this.seenUpTo(vb) } };
        throw err;
      }
    });
  }

  /**
   * Monotonic reads: a client that has seen the vbucket at `after` (from any copy) is answered
   * only by a copy that holds at least that much, so a read that falls back to a replica during a
   * failover never goes back in time (a ref read from one copy, its objects from a copy that has
   * not applied them yet, would be a ref to nothing). A replica waits a moment for its stream.
   */
  private async reachSeen(vb: number, after: StreamPosition | null): Promise<void> {
    if (after === null) return;
    const entry = this.mapState.entry(vb)!;
    if (entry.copies[0] === this.options.id) {
      const own = this.primary.position(vb);
      if (own !== null && own.term < after.term) throw new Refusal('not-ready', `shard ${this.options.id} leads vbucket ${vb} in term ${own.term}; the client has seen term ${after.term}`);
      return;
    }
    if (!(await this.replica.reach(vb, after, REACH_WAIT_MS))) {
      throw new Refusal('not-ready', `copy of vbucket ${vb} on shard ${this.options.id} has not yet applied what the client has seen (term ${after.term}, update ${after.seq})`);
    }
  }

  /** What an answer about `vb` may reflect, for the client's next reads (see reachSeen). */
  private seenUpTo(vb: number): { pos?: [number, number] } {
    const entry = this.mapState.entry(vb);
    const p = entry?.copies[0] === this.options.id ? this.primary.position(vb) : this.replica.seenUpTo(vb);
    return p === null ? {} : { pos: positionToWire(p) };
  }

  private grantsLeases(vb: number): boolean {
    const entry = this.mapState.entry(vb)!;
    // A lease granted now must end before this shard's etcd lease can: a successor then needs no fence.
    return entry.copies[0] === this.options.id && !entry.frozen && this.mapState.trusted && (this.registration?.remainingMs ?? 0) > LEASE_MS;
  }

  /** Refuses (before doing anything) while the etcd lease is not certainly valid. */
  private requireLive(): void {
    if (!this.live()) throw new Refusal('fenced', `shard ${this.options.id} has no confirmed etcd lease: it acts on nothing until it has`);
  }

  /** Resolves once no lease of a previous primary of `vb` can be alive (ReadLeases.fenceMs). */
  private fence(vb: number): Promise<void> {
    const wait = this.leases.fenceMs(vb);
    return wait === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
  }

  private async mutate(frame: Frame): Promise<Reply> {
    return this.metrics.time('mutate', 'shard', async () => {
      const { vb, repo, disk } = this.route(frame);
      const entry = this.mapState.entry(vb)!;
      if (entry.copies[0] !== this.options.id) throw new Refusal('not-owner', `shard ${this.options.id} is not the primary of vbucket ${vb}`, this.mapState.map!);
      if (entry.frozen) throw new Refusal('frozen', `vbucket ${vb} is choosing a new primary`);
      if (!this.mapState.trusted) throw new Refusal('not-ready', `shard ${this.options.id} restarted and waits for the supervisor`);
      this.requireLive();
      const mutation = decodeMutation(frame.header.mutation, frame.parts);
      const stream = this.primary.begin(vb);
      try {
        let shipped: { seq: number; quorum: Promise<void>; effects: Effect[] } | undefined;
        const key = `${vb}/${repo}`;
        let result: boolean;
        let revoked: Promise<void> = Promise.resolve();
        try {
          result = await disk.execute(mutation, (effects) => {
            shipped = { ...this.primary.replicate(stream, repo, effects), effects };
          });
        } finally {
          // Bumped only once the change is on disk: a reader must never get the new token with
          // the old content. Leases are revoked from then on too: one granted later reads the change.
          if (shipped !== undefined) {
            this.primary.written(stream, shipped.seq);
            this.generations.observe(key, shipped.effects);
            revoked = this.leases.revoke(key, { repo, gen: this.generations.token(key) });
          }
        }
        if (shipped !== undefined) await Promise.all([shipped.quorum, revoked, this.fence(vb)]);
        // A primary whose lease lapsed meanwhile may have a successor by now: it acknowledges nothing.
        if (!this.live()) throw new StorageUnavailable('outcome-unknown', `shard ${this.options.id} lost its etcd lease before acknowledging the write; it may or may not have been applied: read it back before writing again`, 2);
        for (const part of frame.parts) this.metrics.moved('written', 'shard', part?.length ?? 0);
        return { header: { result, gen: this.generations.token(key), ...this.seenUpTo(vb) } };
      } finally {
        this.primary.end(stream);
      }
    });
  }

  private async listRepos(frame: Frame): Promise<Reply> {
    this.mapState.requireEpoch(frame.header.epoch);
    const asked = (frame.header.vbs as number[] | undefined) ?? Array.from({ length: VBUCKETS }, (_, i) => i);
    const servable = asked.filter((vb) => Number.isInteger(vb) && vb >= 0 && vb < VBUCKETS && this.mapState.role(vb) !== 'none' && this.canServeRead(vb));
    return { header: { repos: await this.engine.listRepos(servable), served: servable } };
  }

  // ---- replication and supervision ---------------------------------------------------------

  private async leaderOnly<T>(frame: Frame, run: () => Promise<T>): Promise<T> {
    const vb = vbOf(frame);
    const entry = this.mapState.entry(vb);
    if (entry === null || entry.copies[0] !== this.options.id || entry.term !== frame.header.term) {
      throw new Refusal('stale-term', `shard ${this.options.id} does not lead vbucket ${vb} in term ${String(frame.header.term)}`);
    }
    return run();
  }

  private async status(frame: Frame): Promise<Reply> {
    const drain = frame.header.drain as number[] | undefined;
    if (Array.isArray(drain)) await Promise.all(drain.map((vb) => Promise.all([this.primary.drain(vb), this.replica.drain(vb)])));
    const positions: ShardStatus['positions'] = {};
    for (let vb = 0; vb < VBUCKETS; vb++) {
      const led = this.primary.position(vb);
      if (led !== null) positions[vb] = { ...led, synced: this.mapState.trusted, primary: true };
      else {
        const copy = this.replica.position(vb);
        if (copy !== null) positions[vb] = { ...copy, primary: false };
      }
    }
    const trusted = this.mapState.trusted;
    const behind: number[] = [];
    for (let vb = 0; vb < VBUCKETS; vb++) {
      const role = this.mapState.role(vb);
      if (role === 'none') continue;
      if (!trusted || (role !== 'primary' && !this.replica.canServe(vb))) behind.push(vb);
    }
    const status: ShardStatus = {
      id: this.options.id,
      bootId: this.bootId,
      epoch: this.mapState.epoch,
      trusted,
      live: this.live(),
      positions,
      catchingUp: this.catchUp.inProgress,
      behind,
      progress: this.catchUp.progress,
      ...this.primary.health(),
    };
    return { header: { status } };
  }
}

/** What a request is about, for its log line (repository, vbucket, path or how many paths). */
function subject(header: Record<string, unknown>): Record<string, unknown> {
  const mutation = typeof header.mutation === 'object' && header.mutation !== null ? (header.mutation as Record<string, unknown>) : undefined;
  const path = header.path ?? mutation?.path;
  const paths = header.paths ?? mutation?.paths;
  return {
    ...(typeof header.repo === 'string' ? { repo: header.repo } : {}),
    ...(typeof header.vb === 'number' ? { vb: header.vb } : {}),
    ...(typeof mutation?.op === 'string' ? { mutation: mutation.op } : {}),
    ...(typeof path === 'string' ? { path } : {}),
    ...(Array.isArray(paths) ? { paths: paths.length } : {}),
    ...(Array.isArray(header.effects) ? { effects: header.effects.length } : {}),
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function vbOf(frame: Frame): number {
  const vb = frame.header.vb;
  if (typeof vb !== 'number' || !Number.isInteger(vb) || vb < 0 || vb >= VBUCKETS) throw new FsError('EINVAL', `malformed request: vbucket ${String(vb)}`);
  return vb;
}
