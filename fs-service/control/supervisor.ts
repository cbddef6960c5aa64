import { promises as fsp } from 'node:fs';
import type { Campaign, Watcher } from 'etcd3';
import { silentLogger, type Logger } from '../common/logging.js';
import { PeerPool } from '../wire/peer-pool.js';
import { Control, type ControlOptions } from './etcd-control.js';
import { MapStore, StaleMapError } from './map-store.js';
import { checkClusterSecret } from './secret-check.js';
import { askStatuses, ShardDirectory } from './shard-registry.js';
import { assessCluster, type ClusterHealth } from './cluster-health.js';
import { readLastFailover, writeLastFailover, type FailoverRecord } from './failover-log.js';
import type { ShardStatus } from '../shard/shard-server.js';
import { initialMap, isClusterMap, majority, NEW_TERM, type ClusterMap, type ShardId, type VbucketEntry } from './vbucket-map.js';
import { newer } from '../wire/stream-position.js';

export interface SupervisorOptions {
  /** etcd endpoints and the cluster name: where the map, the registry and the election live. */
  control: ControlOptions;
  secret: string;
  /** Names this supervisor in the election and the logs. */
  name?: string;
  /** Its admin API, announced to the other supervisors while it leads. */
  adminUrl?: string;
  replicas?: number;
  /** Shard ids of a new cluster: the first map is formed once they registered (or the formation timeout passed). */
  initialShards?: string[];
  /** A map.json of the supervisor before etcd: imported once when etcd holds no map. */
  adoptMapFile?: string;
  /** TTL (s) of the election lease: a standby takes over this long after the leader stops. */
  electionTtlSeconds?: number;
  /** How often the leader re-checks the registry against the map (it also reacts to every change at once). */
  reconcileMs?: number;
  formationTimeoutMs?: number;
  logger?: Logger;
}

type Position = ShardStatus['positions'][number];

function clone(map: ClusterMap): ClusterMap {
  return JSON.parse(JSON.stringify(map)) as ClusterMap;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Who leads the supervisors (the election key's value). */
export interface LeaderInfo {
  name: string;
  adminUrl: string | null;
}

/**
 * The cluster's control logic. Any number run; one is elected leader through etcd (an election
 * with a lease) and is the only one that changes the map, by compare-and-swap on its revision
 * guarded by its election key, so a deposed leader cannot write. The others stand by with the
 * map and the registry in memory (both followed by etcd watches) and take over when the
 * leader's lease lapses. The leader keeps the map true to the registry: when a primary's
 * registration disappears (its lease expired) or names a new incarnation, it promotes the copy
 * that has the most of its stream. Promotion is fenced: first a map that freezes the vbucket
 * under a new term (copies then refuse the old primary's updates and nobody takes writes), then
 * the positions are read from copies that installed it, then the map with the new primary. A
 * vbucket is only given a new primary while a majority of its copies are registered, because
 * only then is one of them sure to hold every acknowledged write.
 */
export class Supervisor {
  private current: ClusterMap | null = null;
  private revision = 0;
  private readonly peers: PeerPool;
  private readonly logger: Logger;
  private control!: Control;
  private store!: MapStore;
  private directory!: ShardDirectory;
  private mapWatcher: Watcher | null = null;
  private campaign: Campaign | null = null;
  private guard: { key: string; createRevision: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private serial: Promise<unknown> = Promise.resolve();
  private reconciling = false;
  private again = false;
  private stopped = false;
  private campaigning: Promise<void> = Promise.resolve();
  private leaderInfo: LeaderInfo | null = null;
  /** The failover in progress or last finished (this leader's view of `failovers/last`). */
  private failoverRecord: FailoverRecord | null = null;
  readonly name: string;

  private constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger ?? silentLogger;
    this.name = options.name ?? `supervisor-${process.pid}`;
    this.peers = new PeerPool(options.secret, { logger: this.logger, requestTimeoutMs: 2_000, connectTimeoutMs: 1_000 });
  }

  static async start(options: SupervisorOptions): Promise<Supervisor> {
    const supervisor = new Supervisor(options);
    try {
      await supervisor.boot();
    } catch (err) {
      await supervisor.stop();
      throw err;
    }
    return supervisor;
  }

  get map(): ClusterMap | null {
    return this.current;
  }

  /** This process leads the supervisors now. */
  get leading(): boolean {
    return this.guard !== null;
  }

  get leader(): LeaderInfo | null {
    return this.leading ? { name: this.name, adminUrl: this.options.adminUrl ?? null } : this.leaderInfo;
  }

  private async boot(): Promise<void> {
    this.control = await Control.open(this.options.control);
    this.store = new MapStore(this.control, this.logger);
    await checkClusterSecret(this.control, this.options.secret);
    this.directory = await ShardDirectory.open(this.control, this.logger);
    const stored = await this.store.read();
    if (stored !== null) this.adopt(stored.map, stored.revision);
    this.mapWatcher = await this.store.watch(this.revision, (next) => this.adopt(next.map, next.revision));
    this.directory.onChange(() => this.kick());
    const observer = await this.control.ns.election('supervisor').observe();
    const describe = (value: string | undefined) => {
      try {
        this.leaderInfo = value === undefined ? null : (JSON.parse(value) as LeaderInfo);
      } catch {
        this.leaderInfo = null;
      }
    };
    describe(observer.leader());
    observer.on('change', describe);
    observer.on('error', () => undefined);
    this.campaigning = this.campaignLoop();
    this.timer = setInterval(() => this.kick(), this.options.reconcileMs ?? 500);
    this.timer.unref();
  }

  private adopt(map: ClusterMap, revision: number): void {
    if (revision <= this.revision) return;
    this.current = map;
    this.revision = revision;
  }

  /** Campaigns until elected, leads until the election lease is lost, then campaigns again. */
  private async campaignLoop(): Promise<void> {
    const ttl = this.options.electionTtlSeconds ?? 2;
    while (!this.stopped) {
      const campaign = this.control.ns.election('supervisor', ttl).campaign(JSON.stringify({ name: this.name, adminUrl: this.options.adminUrl ?? null } satisfies LeaderInfo));
      this.campaign = campaign;
      const lost = new Promise<unknown>((resolve) => campaign.on('error', resolve));
      try {
        await Promise.race([campaign.wait(), lost.then((err) => Promise.reject(err))]);
        const key = this.control.relative(await campaign.getCampaignKey());
        const kv = (await this.control.ns.get(key).exec()).kvs[0];
        if (kv === undefined) throw new Error('election key vanished right after the election');
        this.guard = { key, createRevision: Number(kv.create_revision) };
        this.logger.info({ name: this.name }, 'elected leader of the supervisors');
        await this.exclusive(() => this.takeOver());
        this.kick();
        await lost;
      } catch (err) {
        if (!this.stopped) this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'election lost or failed; campaigning again');
      } finally {
        if (this.guard !== null) this.logger.warn({ name: this.name }, 'no longer the leader of the supervisors');
        this.guard = null;
        this.campaign = null;
        await campaign.resign().catch(() => undefined);
      }
      if (!this.stopped) await sleep(200);
    }
  }

  /** First acts of a new leader: the newest map, or a map adopted from an old supervisor, or a new cluster's. */
  private async takeOver(): Promise<void> {
    const stored = await this.store.read();
    if (stored !== null) {
      this.adopt(stored.map, stored.revision);
      return;
    }
    if (this.options.adoptMapFile !== undefined) {
      let old: unknown = null;
      try {
        old = JSON.parse(await fsp.readFile(this.options.adoptMapFile, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (isClusterMap(old)) {
        // Every old process is gone: no incarnation is vouched for, and epochs continue above the old ones.
        const map = clone(old);
        for (const id of Object.keys(map.shards)) map.shards[id] = { bootId: null };
        const written = await this.store.write(map, 0, this.guard!, old.epoch);
        this.adopt(written.map, written.revision);
        this.logger.info({ epoch: written.map.epoch, file: this.options.adoptMapFile }, 'adopted the map of the supervisor before etcd');
        return;
      }
    }
    await this.formCluster();
  }

  private async formCluster(): Promise<void> {
    const wanted = this.options.initialShards ?? [];
    const deadline = Date.now() + (this.options.formationTimeoutMs ?? 30_000);
    while (!this.stopped && Date.now() < deadline && (wanted.length === 0 ? this.directory.ids().length === 0 : wanted.some((id) => this.directory.get(id) === undefined))) await sleep(100);
    const ids = [...new Set([...wanted, ...this.directory.ids()])].sort();
    if (ids.length === 0) throw new Error('no shard registered: cannot form a cluster map');
    const shards: ClusterMap['shards'] = {};
    for (const id of ids) shards[id] = { bootId: this.directory.get(id)?.bootId ?? null };
    const map = initialMap(shards, this.options.replicas ?? 3);
    for (const entry of map.vbuckets) entry.inSync = entry.copies.filter((id) => shards[id]!.bootId !== null);
    this.logger.info({ shards: ids, replicas: map.replicas }, 'forming a new cluster map');
    await this.publish(map);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await this.campaign?.resign().catch(() => undefined);
    await this.serial.catch(() => undefined);
    await this.mapWatcher?.cancel().catch(() => undefined);
    await this.directory?.close();
    this.peers.closeAll();
    this.control?.close();
  }

  private urlOf(id: ShardId): string | null {
    return this.directory.addressOf(id);
  }

  private alive(id: ShardId): boolean {
    return this.directory.get(id) !== undefined;
  }

  /** Registered under another incarnation than the map vouches for (restarted, or lost its lease). */
  private restarted(id: ShardId): boolean {
    const registered = this.directory.get(id);
    return registered !== undefined && registered.bootId !== this.current?.shards[id]?.bootId;
  }

  private async request(id: ShardId, header: Record<string, unknown>, timeoutMs: number): Promise<ShardStatus> {
    const url = this.urlOf(id);
    if (url === null) throw new Error(`shard ${id} is not registered`);
    const reply = await this.peers.get(url).request(header, [], timeoutMs);
    return reply.header.status as ShardStatus;
  }

  /** The cluster's health (cluster-health.ts) from this supervisor's map and registry and each shard's status asked now; and who leads. */
  async describe(): Promise<ClusterHealth & { leader: LeaderInfo | null }> {
    const [statuses, lastFailover] = await Promise.all([askStatuses(this.directory, this.peers), readLastFailover(this.control).catch(() => null)]);
    const health = assessCluster({ map: this.current, registered: (id) => this.directory.get(id), registeredIds: this.directory.ids(), statuses, lastFailover });
    return { ...health, leader: this.leader };
  }

  // ---- reconciling -------------------------------------------------------------------------

  /** Something changed (or the timer fired): the leader checks the map against the registry. */
  private kick(): void {
    if (this.stopped || !this.leading || this.current === null) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = true;
    void this.exclusive(() => this.reconcile())
      .catch((err: unknown) => {
        if (err instanceof StaleMapError) this.logger.warn({ err: err.message }, 'map write lost a race; re-reading');
        else this.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'reconcile failed');
      })
      .finally(() => {
        this.reconciling = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Map changes (failover, rebalance, joins) happen one at a time. */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.serial.then(run);
    this.serial = next.catch(() => undefined);
    return next;
  }

  private async reconcile(): Promise<void> {
    if (!this.leading) return;
    const map = this.current!;
    const lost = (id: ShardId) => !this.alive(id) || this.restarted(id);
    const needPrimary = map.vbuckets.map((e, vb) => ({ e, vb })).filter(({ e }) => e.frozen || lost(e.copies[0]!)).map(({ vb }) => vb);
    const rejoined = Object.keys(map.shards).filter((id) => this.restarted(id));
    // A shard that registered but is not in the map joins it, holding nothing until vbuckets move to it.
    const joined = this.directory.ids().filter((id) => map.shards[id] === undefined);
    if (needPrimary.length === 0 && rejoined.length === 0 && joined.length === 0) return;
    if (needPrimary.length > 0) await this.failover(needPrimary);
    else await this.publish(this.withFreshBootIds(clone(map)));
  }

  private withFreshBootIds(map: ClusterMap): ClusterMap {
    for (const id of this.directory.ids()) {
      const registered = this.directory.get(id)!;
      if (map.shards[id] === undefined) this.logger.info({ shard: id }, 'a new shard joins the map');
      map.shards[id] = { bootId: registered.bootId };
    }
    return map;
  }

  // ---- failover ------------------------------------------------------------------------------

  private async failover(vbs: number[]): Promise<void> {
    let map = this.current!;
    const fresh = vbs.filter((vb) => !map.vbuckets[vb]!.frozen);
    if (fresh.length > 0) {
      const lost = [...new Set(fresh.map((vb) => map.vbuckets[vb]!.copies[0]!))];
      const ongoing = this.failoverRecord?.finishedAt === null ? this.failoverRecord : null;
      // A primary lost while an earlier failover still waits joins it: one record counts every
      // vbucket it waits for (else "171 of 86 still waiting").
      if (ongoing !== null) Object.assign(ongoing, { lost: [...new Set([...ongoing.lost, ...lost])].sort(), vbuckets: ongoing.vbuckets + fresh.length });
      else this.failoverRecord = { startedAt: new Date().toISOString(), finishedAt: null, durationMs: null, lost: lost.sort(), vbuckets: fresh.length, promoted: 0, waiting: fresh.length, epoch: map.epoch };
      const frozen = clone(map);
      for (const vb of fresh) Object.assign(frozen.vbuckets[vb]!, { frozen: true, term: NEW_TERM });
      map = await this.publish(frozen);
      this.logger.warn({ vbuckets: fresh.length, epoch: map.epoch }, 'primary lost: vbuckets frozen while a new primary is chosen');
    }
    const positions = await this.positions(vbs, map);
    const next = this.withFreshBootIds(clone(map));
    let promoted = 0;
    let marked = false;
    for (const vb of vbs) {
      const entry = next.vbuckets[vb]!;
      const choice = this.choosePrimary(vb, map.vbuckets[vb]!, positions);
      if (choice === null) {
        // Clients refuse writes to it at once rather than waiting out their retry window.
        const noQuorum = entry.copies.filter((id) => this.alive(id)).length < majority(entry.copies.length);
        if ((entry.noQuorum === true) !== noQuorum) {
          marked = true;
          if (noQuorum) entry.noQuorum = true;
          else delete entry.noQuorum;
        }
        continue;
      }
      next.vbuckets[vb] = {
        term: NEW_TERM,
        copies: [choice.primary, ...entry.copies.filter((id) => id !== choice.primary)],
        inSync: choice.inSync,
        learners: entry.learners.filter((id) => id !== choice.primary),
        frozen: false,
      };
      promoted++;
    }
    const bootIdsChanged = JSON.stringify(next.shards) !== JSON.stringify(map.shards);
    if (promoted === 0 && fresh.length === 0 && !bootIdsChanged && !marked) return;
    if (promoted < vbs.length) this.logger.error({ waiting: vbs.length - promoted }, 'vbuckets stay read-only: fewer than a majority of their copies answer');
    const published = await this.publish(next);
    if (promoted > 0) this.logger.info({ promoted, epoch: published.epoch }, 'published new primaries');
    await this.recordFailover(promoted, vbs.length - promoted, published.epoch);
  }

  /** Keeps the last failover in etcd for the status (failover-log.ts); a leader that took over mid-way carries on its record. */
  private async recordFailover(promoted: number, waiting: number, epoch: number): Promise<void> {
    try {
      this.failoverRecord ??= await readLastFailover(this.control);
      const record = this.failoverRecord;
      if (record === null || (record.finishedAt !== null && promoted === 0)) return;
      record.promoted += promoted;
      record.waiting = waiting;
      record.epoch = epoch;
      if (waiting === 0 && record.finishedAt === null) {
        record.finishedAt = new Date().toISOString();
        record.durationMs = Date.parse(record.finishedAt) - Date.parse(record.startedAt);
      }
      await writeLastFailover(this.control, record);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not record the failover in etcd');
    }
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
          const status = await this.request(id, { op: 'status', drain: held }, 5_000);
          // Only a copy that installed the freezing map refuses the old primary: only its position is final.
          if (status.bootId === map.shards[id]?.bootId && status.epoch >= map.epoch) out.set(id, status.positions);
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
      if (!this.leading) throw new NotLeaderError(this.leader);
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
        const published = await this.publish(next);
        this.logger.info({ vb, from, to, epoch: published.epoch }, 'moved a copy');
        return published;
      }
      // Moving the primary, which is alive: it stops taking writes (frozen, same term, so the
      // copies still accept what it already sent), every copy answers every update, then the
      // positions are final and the level target takes over under a new term.
      const freezing = clone(current);
      freezing.vbuckets[vb]!.frozen = true;
      const frozen = await this.publish(freezing);
      try {
        const url = this.urlOf(from);
        if (url === null) throw new Error(`${from} is not registered`);
        await this.peers.get(url).request({ op: 'setMap', map: frozen }, [], 5_000);
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
          term: NEW_TERM,
          copies: [to, ...now.copies.filter((id) => id !== from)],
          inSync: choice.inSync.filter((id) => id !== from),
          learners: now.learners.filter((id) => id !== to),
          frozen: false,
        };
        const published = await this.publish(next);
        this.logger.info({ vb, from, to, epoch: published.epoch }, 'moved the primary');
        return published;
      }
      Object.assign(target, { frozen: false, term: NEW_TERM, inSync: choice?.inSync ?? [from], copies: choice === null ? now.copies : [choice.primary, ...now.copies.filter((id) => id !== choice.primary)] });
      await this.publish(next);
      throw new Error(`target ${to} fell behind during the hand-over of vbucket ${vb}; retry the move`);
    });
  }

  private async waitSynced(vb: number, shard: ShardId, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const status = await this.request(shard, { op: 'status' }, 2_000);
        const entry = this.current!.vbuckets[vb]!;
        const position = status.positions[vb];
        if (status.epoch >= this.current!.epoch && position?.synced === true && position.term === entry.term) return;
      } catch {
        // retry
      }
      await sleep(100);
    }
    throw new Error(`shard ${shard} did not catch up on vbucket ${vb} within ${timeoutMs} ms`);
  }

  // ---- publishing ----------------------------------------------------------------------------

  /**
   * Writes the map to etcd (compare-and-swap on the revision this leader last saw, guarded by its
   * election key), then hands it to every registered shard at once; shards and clients also follow
   * it through their etcd watch. Resolves with the map as written (its epoch and new terms set).
   */
  private async publish(map: ClusterMap): Promise<ClusterMap> {
    if (this.guard === null) throw new NotLeaderError(this.leader);
    const written = await this.store.write(map, this.revision, this.guard);
    this.adopt(written.map, written.revision);
    await Promise.all(
      Object.keys(written.map.shards).map((id) => {
        const url = this.urlOf(id);
        return url === null ? undefined : this.peers.get(url).request({ op: 'setMap', map: written.map }, [], 2_000).catch(() => undefined);
      }),
    );
    return written.map;
  }
}

/** A command only the leader may run was sent to a standby. */
export class NotLeaderError extends Error {
  constructor(readonly leader: LeaderInfo | null) {
    super(`this supervisor is not the leader${leader === null ? ' (none is elected now; retry)' : `; the leader is ${leader.name}${leader.adminUrl === null ? '' : ` at ${leader.adminUrl}`}`}`);
    this.name = 'NotLeaderError';
  }
}
