import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurable } from '../engine/durable-write.js';
import { silentLogger, type Logger } from '../common/logging.js';
import { PeerPool } from '../wire/peer-pool.js';
import type { ShardStatus } from '../shard/shard-server.js';
import { initialMap, isClusterMap, majority, type ClusterMap, type ShardId, type VbucketEntry } from './vbucket-map.js';

export interface SupervisorOptions {
  /** Shard id -> host:port. */
  shards: Record<ShardId, string>;
  secret: string;
  /** Where the supervisor keeps its copy of the map. */
  dataDir: string;
  replicas?: number;
  heartbeatMs?: number;
  /** A shard silent this long is dead; its vbuckets get new primaries. */
  deadAfterMs?: number;
  /** How long a fresh cluster waits for every configured shard before the first map. */
  formationTimeoutMs?: number;
  logger?: Logger;
}

interface Health {
  lastOk: number;
  status: ShardStatus | null;
}

type Position = ShardStatus['positions'][number];

function newer(a: Position, b: Position): boolean {
  return a.term > b.term || (a.term === b.term && a.seq > b.seq);
}

function clone(map: ClusterMap): ClusterMap {
  return JSON.parse(JSON.stringify(map)) as ClusterMap;
}

/**
 * Owns the cluster map: forms the first one, sends heartbeats, and when a primary dies (or
 * restarts) promotes the copy that has the most of its stream. Promotion is fenced: first a map
 * that freezes the vbucket under a new term (copies then refuse the old primary's updates and
 * nobody takes writes), then the positions are read, then the map with the new primary.
 * A vbucket is only given a new primary while a majority of its copies answer, because only
 * then is one of them sure to hold every acknowledged write.
 */
export class Supervisor {
  private current: ClusterMap | null = null;
  private readonly health = new Map<ShardId, Health>();
  private readonly peers: PeerPool;
  private readonly logger: Logger;
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private timer: NodeJS.Timeout | null = null;
  private serial: Promise<unknown> = Promise.resolve();
  private reconciling = false;
  private readonly started = Date.now();
  private stopped = false;

  private constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger ?? silentLogger;
    this.heartbeatMs = options.heartbeatMs ?? 500;
    this.deadAfterMs = options.deadAfterMs ?? 2_000;
    this.peers = new PeerPool(options.secret, { logger: this.logger, requestTimeoutMs: Math.max(1_000, this.heartbeatMs * 2), connectTimeoutMs: 1_000 });
  }

  static async start(options: SupervisorOptions): Promise<Supervisor> {
    const supervisor = new Supervisor(options);
    await supervisor.boot();
    return supervisor;
  }

  get map(): ClusterMap | null {
    return this.current;
  }

  private get mapFile(): string {
    return join(this.options.dataDir, 'map.json');
  }

  private async boot(): Promise<void> {
    await fsp.mkdir(join(this.options.dataDir, '.tmp'), { recursive: true });
    try {
      const stored = JSON.parse(await fsp.readFile(this.mapFile, 'utf8')) as unknown;
      if (isClusterMap(stored)) this.current = stored;
    } catch {
      // First start.
    }
    for (const id of Object.keys(this.options.shards)) this.health.set(id, { lastOk: Date.now(), status: null });
    await this.heartbeat();
    // A shard may know a newer map than our file (our disk was lost, or we were replaced).
    for (const id of Object.keys(this.options.shards)) {
      try {
        const reply = await this.peers.get(this.urlOf(id)).request({ op: 'getMap' }, [], 1_000);
        const map = reply.header.map;
        if (isClusterMap(map) && map.epoch > (this.current?.epoch ?? 0)) this.current = map;
      } catch {
        // unreachable now; heartbeats will tell
      }
    }
    if (this.current === null) await this.formCluster();
    else {
      // Shards named in the configuration but missing from the map join it.
      const missing = Object.keys(this.options.shards).filter((id) => this.current!.shards[id] === undefined);
      if (missing.length > 0) {
        const next = clone(this.current);
        next.epoch++;
        for (const id of missing) next.shards[id] = { url: this.options.shards[id]!, bootId: null };
        await this.publish(next);
      } else await this.publish(this.current, true);
    }
    this.timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.timer.unref();
  }

  private async formCluster(): Promise<void> {
    const deadline = Date.now() + (this.options.formationTimeoutMs ?? 30_000);
    while (Date.now() < deadline && [...this.health.values()].some((h) => h.status === null)) {
      await new Promise((resolve) => setTimeout(resolve, this.heartbeatMs));
      await this.heartbeat();
    }
    const shards: ClusterMap['shards'] = {};
    for (const [id, url] of Object.entries(this.options.shards)) shards[id] = { url, bootId: this.health.get(id)?.status?.bootId ?? null };
    const map = initialMap(shards, this.options.replicas ?? 3);
    for (const entry of map.vbuckets) entry.inSync = entry.copies.filter((id) => shards[id]!.bootId !== null);
    this.logger.info({ shards: Object.keys(shards), replicas: map.replicas }, 'formed a new cluster map');
    await this.publish(map);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.serial.catch(() => undefined);
    this.peers.closeAll();
  }

  private urlOf(id: ShardId): string {
    return this.current?.shards[id]?.url ?? this.options.shards[id]!;
  }

  private alive(id: ShardId): boolean {
    const health = this.health.get(id);
    return health !== undefined && health.status !== null && Date.now() - health.lastOk <= this.deadAfterMs;
  }

  private restarted(id: ShardId): boolean {
    const status = this.health.get(id)?.status;
    return this.alive(id) && status !== null && status !== undefined && status.bootId !== this.current?.shards[id]?.bootId;
  }

  /** Shard ids and what the supervisor knows of them. */
  describe(): { epoch: number; shards: Record<ShardId, { url: string; alive: boolean; bootId: string | null; epoch: number | null; catchingUp: number | null }> } {
    const shards: ReturnType<Supervisor['describe']>['shards'] = {};
    for (const [id, info] of Object.entries(this.current?.shards ?? {})) {
      const status = this.health.get(id)?.status ?? null;
      shards[id] = { url: info.url, alive: this.alive(id), bootId: status?.bootId ?? null, epoch: status?.epoch ?? null, catchingUp: status?.catchingUp ?? null };
    }
    return { epoch: this.current?.epoch ?? 0, shards };
  }

  // ---- heartbeats ----------------------------------------------------------------------------

  private async heartbeat(): Promise<void> {
    const ids = new Set([...Object.keys(this.options.shards), ...Object.keys(this.current?.shards ?? {})]);
    await Promise.all(
      [...ids].map(async (id) => {
        try {
          const reply = await this.peers.get(this.urlOf(id)).request({ op: 'status' }, [], Math.max(1_000, this.heartbeatMs * 2));
          const status = reply.header.status as ShardStatus;
          const health = this.health.get(id) ?? { lastOk: 0, status: null };
          health.lastOk = Date.now();
          health.status = status;
          this.health.set(id, health);
          if (this.current !== null && status.epoch < this.current.epoch) {
            void this.peers.get(this.urlOf(id)).request({ op: 'setMap', map: this.current }).catch(() => undefined);
          }
        } catch {
          if (!this.health.has(id)) this.health.set(id, { lastOk: this.started, status: null });
        }
      }),
    );
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    await this.heartbeat();
    if (this.reconciling || this.current === null) return;
    this.reconciling = true;
    try {
      await this.exclusive(() => this.reconcile());
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'reconcile failed');
    } finally {
      this.reconciling = false;
    }
  }

  /** Map changes (failover, rebalance, joins) happen one at a time. */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.serial.then(run);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async reconcile(): Promise<void> {
    const map = this.current!;
    const lost = (id: ShardId) => !this.alive(id) || this.restarted(id);
    const needPrimary = map.vbuckets.map((e, vb) => ({ e, vb })).filter(({ e }) => e.frozen || lost(e.copies[0]!)).map(({ vb }) => vb);
    const rejoined = Object.keys(map.shards).filter((id) => this.restarted(id));
    if (needPrimary.length === 0 && rejoined.length === 0) return;
    if (needPrimary.length > 0) await this.failover(needPrimary);
    else await this.publish(this.withFreshBootIds(clone(map)));
  }

  private withFreshBootIds(map: ClusterMap): ClusterMap {
    for (const id of Object.keys(map.shards)) {
      const status = this.health.get(id)?.status;
      if (this.alive(id) && status !== null && status !== undefined) map.shards[id]!.bootId = status.bootId;
    }
    map.epoch = Math.max(map.epoch, this.current!.epoch) + 1;
    return map;
  }

  // ---- failover ------------------------------------------------------------------------------

  private async failover(vbs: number[]): Promise<void> {
    let map = this.current!;
    const fresh = vbs.filter((vb) => !map.vbuckets[vb]!.frozen);
    if (fresh.length > 0) {
      const frozen = clone(map);
      frozen.epoch++;
      for (const vb of fresh) Object.assign(frozen.vbuckets[vb]!, { frozen: true, term: frozen.epoch });
      this.logger.warn({ vbuckets: fresh.length, epoch: frozen.epoch }, 'primary lost: vbuckets frozen while a new primary is chosen');
      await this.publish(frozen);
      map = frozen;
    }
    const positions = await this.positions(vbs, map);
    const next = this.withFreshBootIds(clone(map));
    let promoted = 0;
    for (const vb of vbs) {
      const entry = next.vbuckets[vb]!;
      const choice = this.choosePrimary(vb, map.vbuckets[vb]!, positions);
      if (choice === null) continue;
      next.vbuckets[vb] = {
        term: next.epoch,
        copies: [choice.primary, ...entry.copies.filter((id) => id !== choice.primary)],
        inSync: choice.inSync,
        learners: entry.learners.filter((id) => id !== choice.primary),
        frozen: false,
      };
      promoted++;
    }
    const bootIdsChanged = JSON.stringify(next.shards) !== JSON.stringify(map.shards);
    if (promoted === 0 && fresh.length === 0 && !bootIdsChanged) return;
    if (promoted < vbs.length) this.logger.error({ waiting: vbs.length - promoted }, 'vbuckets stay read-only: fewer than a majority of their copies answer');
    if (promoted > 0) this.logger.info({ promoted, epoch: next.epoch }, 'published new primaries');
    await this.publish(next);
  }

  /** Reads where each live, unrestarted copy stands, after its queue has drained. */
  private async positions(vbs: number[], map: ClusterMap): Promise<Map<ShardId, ShardStatus['positions']>> {
    const out = new Map<ShardId, ShardStatus['positions']>();
    const holders = new Set<ShardId>();
    for (const vb of vbs) for (const id of [...map.vbuckets[vb]!.copies, ...map.vbuckets[vb]!.learners]) holders.add(id);
    await Promise.all(
      [...holders].map(async (id) => {
        if (!this.alive(id)) return;
        try {
          const held = vbs.filter((vb) => map.vbuckets[vb]!.copies.includes(id) || map.vbuckets[vb]!.learners.includes(id));
          const reply = await this.peers.get(this.urlOf(id)).request({ op: 'status', drain: held }, [], 5_000);
          const status = reply.header.status as ShardStatus;
          if (status.bootId === map.shards[id]?.bootId) out.set(id, status.positions);
        } catch {
          // no answer: not a candidate
        }
      }),
    );
    return out;
  }

  private choosePrimary(vb: number, entry: VbucketEntry, positions: Map<ShardId, ShardStatus['positions']>): { primary: ShardId; inSync: ShardId[] } | null {
    const live = entry.copies.filter((id) => this.alive(id));
    const candidates = [...entry.copies, ...entry.learners]
      .map((id) => ({ id, position: positions.get(id)?.[vb] }))
      .filter((c): c is { id: ShardId; position: Position } => c.position !== undefined && c.position.synced);
    if (candidates.length > 0 && live.length >= majority(entry.copies.length)) {
      let best = candidates[0]!;
      for (const c of candidates) if (newer(c.position, best.position)) best = c;
      // Among equals keep the voting copies first, in map order (the old primary first).
      const equal = candidates.filter((c) => c.position.term === best.position.term && c.position.seq === best.position.seq);
      const primary = equal.find((c) => entry.copies.includes(c.id))?.id ?? best.id;
      return { primary, inSync: equal.map((c) => c.id) };
    }
    // Nobody has a known position (the whole cluster restarted): the old primary applied every
    // write before acknowledging it, so its disk is the most complete.
    if (candidates.length === 0 && this.alive(entry.copies[0]!) && live.length >= majority(entry.copies.length)) {
      return { primary: entry.copies[0]!, inSync: [entry.copies[0]!] };
    }
    return null;
  }

  // ---- admin commands ------------------------------------------------------------------------

  /**
   * Moves one copy of a vbucket to another shard while it serves: the target joins as a
   * non-voting learner and catches up, then replaces the source (through a fenced promotion
   * when the source is the primary). The source drops its files when it sees the new map.
   */
  moveVbucket(vb: number, from: ShardId, to: ShardId, timeoutMs = 120_000): Promise<ClusterMap> {
    return this.exclusive(async () => {
      const map = this.current!;
      const entry = map.vbuckets[vb];
      if (entry === undefined) throw new Error(`no vbucket ${vb}`);
      if (!entry.copies.includes(from)) throw new Error(`${from} holds no copy of vbucket ${vb}`);
      if (entry.copies.includes(to)) throw new Error(`${to} already holds a copy of vbucket ${vb}`);
      if (map.shards[to] === undefined || !this.alive(to)) throw new Error(`shard ${to} is unknown or not alive`);
      if (entry.frozen) throw new Error(`vbucket ${vb} is choosing a new primary; retry`);
      if (!entry.learners.includes(to)) {
        const next = this.withFreshBootIds(clone(map));
        next.vbuckets[vb]!.learners.push(to);
        await this.publish(next);
      }
      await this.waitSynced(vb, to, timeoutMs);
      const current = this.current!;
      const now = current.vbuckets[vb]!;
      if (now.copies[0] !== from) {
        const next = this.withFreshBootIds(clone(current));
        Object.assign(next.vbuckets[vb]!, { copies: now.copies.map((id) => (id === from ? to : id)), learners: now.learners.filter((id) => id !== to) });
        await this.publish(next);
        this.logger.info({ vb, from, to, epoch: next.epoch }, 'moved a copy');
        return next;
      }
      // Moving the primary, which is alive: it stops taking writes (frozen, same term, so the
      // copies still accept what it already sent), every copy answers every update, then the
      // positions are final and the level target takes over under a new term.
      const frozen = clone(current);
      frozen.epoch++;
      frozen.vbuckets[vb]!.frozen = true;
      await this.publish(frozen);
      try {
        await this.peers.get(this.urlOf(from)).request({ op: 'setMap', map: frozen }, [], 5_000);
      } catch (err) {
        const thawed = this.withFreshBootIds(clone(frozen));
        thawed.vbuckets[vb]!.frozen = false;
        await this.publish(thawed);
        throw new Error(`primary ${from} did not take the hand-over map: ${String(err)}`);
      }
      const positions = await this.positions([vb], frozen);
      const choice = this.choosePrimary(vb, frozen.vbuckets[vb]!, positions);
      const next = this.withFreshBootIds(clone(frozen));
      const target = next.vbuckets[vb]!;
      if (choice !== null && choice.inSync.includes(to)) {
        next.vbuckets[vb] = {
          term: next.epoch,
          copies: [to, ...now.copies.filter((id) => id !== from)],
          inSync: choice.inSync.filter((id) => id !== from),
          learners: now.learners.filter((id) => id !== to),
          frozen: false,
        };
        await this.publish(next);
        this.logger.info({ vb, from, to, epoch: next.epoch }, 'moved the primary');
        return next;
      }
      Object.assign(target, { frozen: false, term: next.epoch, inSync: choice?.inSync ?? [from], copies: choice === null ? now.copies : [choice.primary, ...now.copies.filter((id) => id !== choice.primary)] });
      await this.publish(next);
      throw new Error(`target ${to} fell behind during the hand-over of vbucket ${vb}; retry the move`);
    });
  }

  /** Adds a shard to the map (it holds nothing until vbuckets are moved to it). */
  addShard(id: ShardId, url: string): Promise<ClusterMap> {
    return this.exclusive(async () => {
      const next = clone(this.current!);
      if (next.shards[id] !== undefined && next.shards[id]!.url === url) return this.current!;
      next.epoch++;
      next.shards[id] = { url, bootId: null };
      this.health.set(id, { lastOk: Date.now(), status: null });
      await this.publish(next);
      return next;
    });
  }

  private async waitSynced(vb: number, shard: ShardId, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const reply = await this.peers.get(this.urlOf(shard)).request({ op: 'status' }, [], 2_000);
        const status = reply.header.status as ShardStatus;
        const entry = this.current!.vbuckets[vb]!;
        const position = status.positions[vb];
        if (status.epoch >= this.current!.epoch && position?.synced === true && position.term === entry.term) return;
      } catch {
        // retry
      }
      await new Promise((resolve) => setTimeout(resolve, this.heartbeatMs / 2));
    }
    throw new Error(`shard ${shard} did not catch up on vbucket ${vb} within ${timeoutMs} ms`);
  }

  // ---- publishing ----------------------------------------------------------------------------

  /** Stores the map durably, then hands it to every shard (laggards get it on the next heartbeat). */
  private async publish(map: ClusterMap, already = false): Promise<void> {
    if (!already) await writeFileDurable(join(this.options.dataDir, '.tmp'), this.mapFile, Buffer.from(JSON.stringify(map)), this.options.dataDir);
    this.current = map;
    await Promise.all(
      Object.keys(map.shards).map((id) =>
        this.alive(id) || !already
          ? this.peers
              .get(this.urlOf(id))
              .request({ op: 'setMap', map }, [], 2_000)
              .catch(() => undefined)
          : undefined,
      ),
    );
  }
}
