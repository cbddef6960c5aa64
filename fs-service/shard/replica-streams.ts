import type { DiskEngine } from '../engine/disk-engine.js';
import type { Logger } from '../common/logging.js';
import type { FsMetrics } from '../common/metrics.js';
import { effectBytes, type Effect } from '../engine/mutations.js';
import type { PeerPool } from '../wire/peer-pool.js';
import type { RepoGenerations } from './repo-generations.js';
import type { ShardMapState } from './shard-map-state.js';
import type { Reply } from '../wire/frame-server.js';
import { decodeEffects, type Frame } from '../wire/wire-codec.js';
import { Refusal } from '../wire/wire-errors.js';
import { reached, type StreamPosition } from '../wire/stream-position.js';
import type { ClusterMap } from '../control/vbucket-map.js';

/** Where a copy stands in its vbucket's stream. `synced`: it holds exactly updates 0..seq-1. */
export interface Position extends StreamPosition {
  synced: boolean;
}

interface ReplicaState extends Position {
  catchingUp: boolean;
  buffer: Update[];
  /** Updates being applied now: a read running meanwhile may already see them. */
  applying: number;
}

interface Update {
  from: string;
  vb: number;
  term: number;
  epoch: number;
  seq: number;
  repo: string;
  effects: Effect[];
}

type QueueItem = { kind: 'update'; update: Update; resolve: (reply: Reply) => void; reject: (err: unknown) => void } | { kind: 'task'; run: () => Promise<void>; done: (err?: unknown) => void };

export interface ReplicaStreamsOptions {
  self: string;
  mapState: ShardMapState;
  engine: DiskEngine;
  peers: PeerPool;
  generations: RepoGenerations;
  logger: Logger;
  metrics: FsMetrics;
}

const BATCH = 64;
/** File bytes one batch may hold: parts of big files (4 MiB each) are applied a few at a time. */
const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * A copy's side of replication: updates of a vbucket are applied strictly in stream order (one
 * queue per vbucket), so what a copy holds is always a prefix of the primary's stream, which is
 * what lets the supervisor promote the copy with the highest position without losing an
 * acknowledged write. Runs of plain file writes and parts to distinct paths are applied together
 * (one round of fsyncs), up to BATCH_BYTES, and acknowledged together.
 */
export class ReplicaStreams {
  private readonly states = new Map<number, ReplicaState>();
  private readonly queues = new Map<number, QueueItem[]>();
  private readonly running = new Set<number>();
  private readonly idleWaiters = new Map<number, (() => void)[]>();
  /** Woken whenever a copy of the vbucket applies updates or follows a new term. */
  private readonly progressWaiters = new Map<number, Set<() => void>>();

  constructor(private readonly o: ReplicaStreamsOptions) {}

  onMap(map: ClusterMap): void {
    map.vbuckets.forEach((entry, vb) => {
      const held = entry.copies.slice(1).includes(this.o.self) || entry.learners.includes(this.o.self);
      if (!held) {
        this.states.delete(vb);
        return;
      }
      const state = this.states.get(vb);
      // A frozen entry fences the old primary but starts no stream: positions stay as they are
      // until the supervisor has read them.
      if (entry.frozen || state?.term === entry.term) return;
      this.states.set(vb, {
        term: entry.term,
        seq: 0,
        synced: entry.inSync.includes(this.o.self) && this.o.mapState.trusted,
        catchingUp: false,
        buffer: [],
        applying: 0,
      });
      this.progressed(vb);
    });
  }

  position(vb: number): Position | null {
    const state = this.states.get(vb);
    return state === undefined ? null : { term: state.term, seq: state.seq, synced: state.synced && !state.catchingUp };
  }

  /**
   * The newest position a read of this copy may reflect, taken once the read is done: updates
   * being applied count, since the read may have seen them (see ShardServer.read).
   */
  seenUpTo(vb: number): StreamPosition | null {
    const state = this.states.get(vb);
    return state === undefined ? null : { term: state.term, seq: state.seq + state.applying };
  }

  /**
   * Resolves true once this copy holds everything before `wanted` (or follows a later term, see
   * StreamPosition), false after `waitMs`.
   */
  reach(vb: number, wanted: StreamPosition, waitMs: number): Promise<boolean> {
    const holds = (): boolean => {
      const state = this.states.get(vb);
      return state !== undefined && reached(state, wanted);
    };
    if (holds()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiters = this.progressWaiters.get(vb) ?? new Set<() => void>();
      this.progressWaiters.set(vb, waiters);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(ok);
      };
      const check = (): void => {
        if (holds()) done(true);
      };
      const timer = setTimeout(() => done(false), waitMs);
      waiters.add(check);
    });
  }

  private progressed(vb: number): void {
    for (const check of [...(this.progressWaiters.get(vb) ?? [])]) check();
  }

  /** May this copy answer reads of the vbucket? */
  canServe(vb: number): boolean {
    const state = this.states.get(vb);
    return state !== undefined && state.synced && !state.catchingUp;
  }

  needsCatchUp(vb: number): boolean {
    const state = this.states.get(vb);
    return state !== undefined && !state.synced && !state.catchingUp;
  }

  /** Every copy must catch up again (this shard's etcd lease was lost). */
  markAllOutOfSync(): void {
    for (const vb of this.states.keys()) this.markOutOfSync(vb);
  }

  markOutOfSync(vb: number): void {
    const state = this.states.get(vb);
    if (state !== undefined && !state.catchingUp) state.synced = false;
  }

  /** Entry point for a `replicate` request; queues synchronously to keep connection order. */
  receive(frame: Frame): Promise<Reply> {
    const h = frame.header;
    const update: Update = {
      from: String(h.from),
      vb: Number(h.vb),
      term: Number(h.term),
      epoch: Number(h.epoch),
      seq: Number(h.seq),
      repo: String(h.repo),
      effects: decodeEffects(h.effects, frame.parts),
    };
    return new Promise((resolve, reject) => this.enqueue(update.vb, { kind: 'update', update, resolve, reject }));
  }

  /** Waits until every update received so far for the vbucket has been dealt with. */
  drain(vb: number): Promise<void> {
    if (!this.running.has(vb) && (this.queues.get(vb)?.length ?? 0) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.idleWaiters.get(vb) ?? [];
      waiters.push(resolve);
      this.idleWaiters.set(vb, waiters);
    });
  }

  // ---- catch-up hooks ------------------------------------------------------------------------

  /** From now on updates of this term are buffered instead of refused. */
  beginCatchUp(vb: number, term: number): void {
    const state = this.states.get(vb);
    if (state === undefined || state.term !== term) throw new Refusal('stale-term', `vbucket ${vb} is not held in term ${term}`);
    state.catchingUp = true;
    state.synced = false;
    state.buffer = [];
  }

  /** Replays what arrived during the copy, in the vbucket's queue, and declares the copy synced. */
  finishCatchUp(vb: number, term: number, startSeq: number): Promise<void> {
    return this.runTask(vb, async () => {
      const state = this.states.get(vb);
      if (state === undefined || state.term !== term || !state.catchingUp) throw new Refusal('stale-term', `catch-up of vbucket ${vb} was overtaken by a new term`);
      let expected = startSeq;
      for (const update of state.buffer) {
        if (update.seq < startSeq) continue;
        if (update.seq !== expected) throw new Refusal('out-of-sync', `gap in buffered updates of vbucket ${vb}: ${update.seq} after ${expected - 1}`);
        await this.apply(update);
        expected++;
      }
      state.buffer = [];
      state.seq = expected;
      state.catchingUp = false;
      state.synced = true;
      this.progressed(vb);
    });
  }

  abortCatchUp(vb: number): void {
    const state = this.states.get(vb);
    if (state === undefined) return;
    state.catchingUp = false;
    state.synced = false;
    state.buffer = [];
  }

  // ---- the per-vbucket queue -----------------------------------------------------------------

  private runTask(vb: number, run: () => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue(vb, { kind: 'task', run, done: (err) => (err === undefined ? resolve() : reject(err)) }));
  }

  private enqueue(vb: number, item: QueueItem): void {
    const queue = this.queues.get(vb) ?? [];
    queue.push(item);
    this.queues.set(vb, queue);
    if (!this.running.has(vb)) {
      this.running.add(vb);
      void this.work(vb);
    }
  }

  private async work(vb: number): Promise<void> {
    const queue = this.queues.get(vb)!;
    try {
      while (queue.length > 0) {
        const head = queue[0]!;
        if (head.kind === 'task') {
          queue.shift();
          await head.run().then(
            () => head.done(),
            (err: unknown) => head.done(err ?? new Error('task failed')),
          );
          continue;
        }
        const batch = this.takeBatch(queue);
        await this.process(batch);
      }
    } finally {
      this.running.delete(vb);
      for (const wake of this.idleWaiters.get(vb)?.splice(0) ?? []) wake();
    }
  }

  /**
   * A run of consecutive single-file writes (whole files or parts) to distinct paths may be
   * applied in parallel; two parts of one file keep their order (a rewrite of a pack's header
   * must land after the part it rewrites).
   */
  private takeBatch(queue: QueueItem[]): Extract<QueueItem, { kind: 'update' }>[] {
    const batch: Extract<QueueItem, { kind: 'update' }>[] = [];
    const paths = new Set<string>();
    let bytes = 0;
    while (queue.length > 0 && batch.length < BATCH) {
      const item = queue[0]!;
      if (item.kind !== 'update') break;
      const [only, ...others] = item.update.effects;
      const simple = only !== undefined && others.length === 0 && (only.kind === 'put' || only.kind === 'part');
      const key = simple ? `${item.update.repo}\0${only.path}` : '';
      const size = effectBytes(item.update.effects);
      if (batch.length > 0 && (!simple || paths.has(key) || bytes + size > BATCH_BYTES)) break;
      queue.shift();
      batch.push(item);
      if (!simple) break;
      paths.add(key);
      bytes += size;
    }
    return batch;
  }

  private async process(batch: Extract<QueueItem, { kind: 'update' }>[]): Promise<void> {
    const toApply: typeof batch = [];
    for (const item of batch) {
      try {
        const verdict = await this.admit(item.update, toApply.length);
        if (verdict === 'buffered') item.resolve({ header: { buffered: true } });
        else toApply.push(item);
      } catch (err) {
        item.reject(err);
      }
    }
    if (toApply.length === 0) return;
    const vb = toApply[0]!.update.vb;
    const state = this.states.get(vb)!;
    state.applying = toApply.length;
    const results = await Promise.allSettled(toApply.map((item) => this.o.metrics.time('replicate', 'replica', () => this.apply(item.update))));
    state.applying = 0;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      state.synced = false;
      this.o.logger.error({ vb: toApply[0]!.update.vb, err: String(failed.reason) }, 'a replicated update failed to apply; the copy will catch up');
      for (const item of toApply) item.reject(new Refusal('out-of-sync', 'the copy failed to apply an update'));
      return;
    }
    state.seq += toApply.length;
    this.progressed(vb);
    for (const item of toApply) item.resolve({ header: { applied: true } });
  }

  /** Decides, in stream order, whether an update is applied, buffered or refused. */
  private async admit(update: Update, pendingInBatch: number): Promise<'apply' | 'buffered'> {
    if (update.epoch > this.o.mapState.epoch) await this.refreshMapFrom(update.from);
    const entry = this.o.mapState.entry(update.vb);
    if (entry === null || entry.term !== update.term || entry.copies[0] !== update.from) {
      throw new Refusal('stale-term', `update from ${update.from} in term ${update.term} is not from the current primary of vbucket ${update.vb}`);
    }
    const state = this.states.get(update.vb);
    if (state === undefined || state.term !== update.term) throw new Refusal('out-of-sync', `vbucket ${update.vb} is not followed in term ${update.term}`);
    if (state.catchingUp) {
      state.buffer.push(update);
      return 'buffered';
    }
    if (!state.synced) throw new Refusal('out-of-sync', `copy of vbucket ${update.vb} is catching up`);
    if (update.seq !== state.seq + pendingInBatch) {
      state.synced = false;
      throw new Refusal('out-of-sync', `vbucket ${update.vb} expected update ${state.seq + pendingInBatch}, got ${update.seq}`);
    }
    return 'apply';
  }

  private async apply(update: Update): Promise<void> {
    await this.o.engine.repo(update.vb, update.repo).applyEffects(update.effects);
    this.o.generations.observe(`${update.vb}/${update.repo}`, update.effects);
    this.o.metrics.moved('written', 'replica', effectBytes(update.effects));
  }

  private async refreshMapFrom(shard: string): Promise<void> {
    const url = this.o.mapState.urlOf(shard);
    if (url === null) return;
    try {
      const reply = await this.o.peers.get(url).request({ op: 'getMap' });
      await this.o.mapState.install(reply.header.map);
    } catch (err) {
      this.o.logger.warn({ shard, err: String(err) }, 'could not fetch a newer map from the primary');
    }
  }
}
