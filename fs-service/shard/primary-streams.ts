import type { Logger } from '../common/logging.js';
import type { FsMetrics } from '../common/metrics.js';
import type { Effect } from '../engine/mutations.js';
import type { PeerPool } from '../wire/peer-pool.js';
import type { ShardMapState } from './shard-map-state.js';
import { encodeEffects } from '../wire/wire-codec.js';
import { QuorumError, Refusal } from '../wire/wire-errors.js';
import { majority, type ClusterMap, type ShardId } from '../control/vbucket-map.js';

/**
 * in-sync: has every numbered update of this term; its acknowledgements count.
 * catching-up: copying a snapshot, receives (and buffers) new updates; does not count yet.
 * out: missed something; receives nothing until it catches up again.
 */
export type FollowerState = 'in-sync' | 'catching-up' | 'out';

interface Follower {
  state: FollowerState;
  voting: boolean;
}

class VbStream {
  nextSeq = 0;
  inflight = 0;
  unanswered = 0;
  readonly followers = new Map<ShardId, Follower>();
  /** Numbered updates still being written to this disk (copies write in parallel). */
  readonly writing = new Set<number>();
  private idleWaiters: (() => void)[] = [];
  private writtenWaiters: { below: number; wake: () => void }[] = [];

  constructor(
    readonly vb: number,
    readonly term: number,
    readonly copies: number,
  ) {}

  enter(): void {
    this.inflight++;
  }

  exit(): void {
    this.inflight--;
    this.wakeIfIdle();
  }

  /** An update sent to a copy that has not answered yet (counted so a hand-over can wait). */
  sent(): void {
    this.unanswered++;
  }

  answered(): void {
    this.unanswered--;
    this.wakeIfIdle();
  }

  private wakeIfIdle(): void {
    if (this.inflight === 0 && this.unanswered === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** No write in flight and every copy has answered every update: positions are final. */
  idle(): Promise<void> {
    return this.inflight === 0 && this.unanswered === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  written(seq: number): void {
    this.writing.delete(seq);
    this.writtenWaiters = this.writtenWaiters.filter((w) => {
      if (this.writtenBelow(w.below)) {
        w.wake();
        return false;
      }
      return true;
    });
  }

  private writtenBelow(below: number): boolean {
    for (const seq of this.writing) if (seq < below) return false;
    return true;
  }

  /** Resolves once every update numbered below `below` is on this disk. */
  allWrittenBelow(below: number): Promise<void> {
    if (this.writtenBelow(below)) return Promise.resolve();
    return new Promise((wake) => this.writtenWaiters.push({ below, wake }));
  }
}

export interface PrimaryStreamsOptions {
  self: ShardId;
  mapState: ShardMapState;
  peers: PeerPool;
  logger: Logger;
  metrics: FsMetrics;
  replicateTimeoutMs: number;
}

/**
 * The primary's side of replication. Each vbucket it leads has a stream numbered within the
 * current term; updates are numbered while the repository lock is held, so numbering order is
 * disk order. Each update goes to every in-sync or catching-up copy over one ordered
 * connection, and the write is acknowledged once a majority of the voting copies (this one
 * included) have it durably. A copy that fails or answers late is dropped from the in-sync set.
 */
export class PrimaryStreams {
  private readonly streams = new Map<number, VbStream>();

  constructor(private readonly o: PrimaryStreamsOptions) {
    // A dead copy is dropped at once, so the next write is refused cleanly (read-only) instead
    // of being applied here and then failing to reach a majority.
    o.peers.onDisconnect((url) => {
      const id = o.mapState.idOf(url);
      if (id === undefined) return;
      for (const stream of this.streams.values()) {
        const follower = stream.followers.get(id);
        if (follower !== undefined) this.drop(stream, id, follower, new Error(`connection to ${id} lost`));
      }
    });
  }

  onMap(map: ClusterMap): void {
    map.vbuckets.forEach((entry, vb) => {
      if (entry.copies[0] !== this.o.self) {
        this.streams.delete(vb);
        return;
      }
      // A frozen entry (a new primary is being chosen) keeps the old stream so its position can
      // be reported and in-flight writes drained; the shard refuses new writes meanwhile.
      if (entry.frozen) return;
      let stream = this.streams.get(vb);
      if (stream === undefined || stream.term !== entry.term || stream.copies !== entry.copies.length) {
        const previous = stream?.term === entry.term ? stream : undefined;
        stream = new VbStream(vb, entry.term, entry.copies.length);
        if (previous !== undefined) {
          stream.nextSeq = previous.nextSeq;
          for (const [id, f] of previous.followers) stream.followers.set(id, f);
        }
        this.streams.set(vb, stream);
      }
      const wanted = new Map<ShardId, boolean>();
      for (const id of entry.copies.slice(1)) wanted.set(id, true);
      for (const id of entry.learners) wanted.set(id, false);
      for (const id of [...stream.followers.keys()]) if (!wanted.has(id)) stream.followers.delete(id);
      for (const [id, voting] of wanted) {
        const existing = stream.followers.get(id);
        if (existing !== undefined) existing.voting = voting;
        else stream.followers.set(id, { state: stream.nextSeq === 0 && entry.inSync.includes(id) ? 'in-sync' : 'out', voting });
      }
    });
    this.publishLag();
  }

  has(vb: number): boolean {
    return this.streams.has(vb);
  }

  /** Refuses a write up front when a majority cannot be reached (read-only mode). */
  begin(vb: number): VbStream {
    const stream = this.streams.get(vb);
    if (stream === undefined) throw new Refusal('not-owner', `shard ${this.o.self} does not lead vbucket ${vb}`, this.o.mapState.map ?? undefined);
    const needed = majority(stream.copies) - 1;
    const available = [...stream.followers.values()].filter((f) => f.voting && f.state === 'in-sync').length;
    if (available < needed) throw new QuorumError(`only ${available + 1} of ${stream.copies} copies of vbucket ${vb} are in sync, ${needed + 1} needed`);
    stream.enter();
    return stream;
  }

  end(stream: VbStream): void {
    stream.exit();
  }

  /** Waits until no write of the vbucket is in flight (a frozen vbucket gets no new ones). */
  async drain(vb: number): Promise<void> {
    await this.streams.get(vb)?.idle();
  }

  position(vb: number): { term: number; seq: number } | null {
    const stream = this.streams.get(vb);
    return stream === undefined ? null : { term: stream.term, seq: stream.nextSeq };
  }

  /**
   * Numbers one applied update and sends it. Must be called synchronously under the repository
   * lock; `quorum` settles when a majority has it (or cannot). Call written() once this disk
   * has it.
   */
  replicate(stream: VbStream, repo: string, effects: readonly Effect[]): { seq: number; quorum: Promise<void> } {
    const seq = stream.nextSeq++;
    stream.writing.add(seq);
    return { seq, quorum: this.send(stream, seq, repo, effects) };
  }

  /** The update is durable on this disk (or failed here): see syncBegin. */
  written(stream: VbStream, seq: number): void {
    stream.written(seq);
  }

  private send(stream: VbStream, seq: number, repo: string, effects: readonly Effect[]): Promise<void> {
    const map = this.o.mapState.map!;
    const { effects: wire, parts } = encodeEffects(effects);
    const header = { op: 'replicate', from: this.o.self, vb: stream.vb, term: stream.term, epoch: map.epoch, seq, repo, effects: wire };
    const needed = majority(stream.copies) - 1;
    if (needed === 0 && ![...stream.followers.values()].some((f) => f.state !== 'out')) return Promise.resolve();
    const bytes = parts.reduce((n, p) => n + p.length, 0);

    return new Promise<void>((resolve, reject) => {
      let acks = 0;
      let undecided = 0;
      let settled = false;
      const settle = () => {
        if (settled) return;
        if (acks >= needed) {
          settled = true;
          resolve();
        } else if (acks + undecided < needed) {
          settled = true;
          reject(new QuorumError(`vbucket ${stream.vb} update ${seq} reached ${acks + 1} of ${stream.copies} copies, ${needed + 1} needed`, true));
        }
      };
      for (const [id, follower] of stream.followers) {
        if (follower.state === 'out') continue;
        const url = this.o.mapState.urlOf(id);
        if (url === null) continue;
        const counts = follower.voting && follower.state === 'in-sync';
        if (counts) undecided++;
        this.o.metrics.moved('written', 'replica', bytes);
        stream.sent();
        this.o.peers
          .get(url)
          .request(header, parts, this.o.replicateTimeoutMs)
          .finally(() => stream.answered())
          .then(
            (reply) => {
              if (counts) {
                undecided--;
                if (reply.header.applied === true && follower.state === 'in-sync') acks++;
                settle();
              }
            },
            (err: unknown) => {
              this.drop(stream, id, follower, err);
              if (counts) {
                undecided--;
                settle();
              }
            },
          );
      }
      settle();
    });
  }

  private drop(stream: VbStream, id: ShardId, follower: Follower, err: unknown): void {
    if (follower.state === 'out') return;
    follower.state = 'out';
    this.o.logger.warn({ vb: stream.vb, shard: id, err: err instanceof Error ? err.message : String(err) }, 'dropped a copy from the in-sync set');
    this.publishLag();
  }

  // ---- catch-up handshake (called by the catching-up copy) ---------------------------------

  private followerOf(vb: number, term: unknown, from: unknown): { stream: VbStream; follower: Follower } {
    const stream = this.streams.get(vb);
    if (stream === undefined || stream.term !== term) throw new Refusal('stale-term', `shard ${this.o.self} does not lead vbucket ${vb} in term ${String(term)}`);
    const follower = typeof from === 'string' ? stream.followers.get(from) : undefined;
    if (follower === undefined) throw new Refusal('not-owner', `${String(from)} is not a copy of vbucket ${vb}`);
    return { stream, follower };
  }

  /**
   * From now on the copy receives every update. Updates numbered before `startSeq` are not sent
   * to it, so the answer waits until they are all on this disk, where the copy's snapshot will
   * find them.
   */
  async syncBegin(vb: number, term: unknown, from: unknown): Promise<{ startSeq: number }> {
    const { stream, follower } = this.followerOf(vb, term, from);
    follower.state = 'catching-up';
    this.publishLag();
    const startSeq = stream.nextSeq;
    await stream.allWrittenBelow(startSeq);
    return { startSeq };
  }

  syncDone(vb: number, term: unknown, from: unknown): void {
    const { follower } = this.followerOf(vb, term, from);
    if (follower.state !== 'catching-up') throw new Refusal('out-of-sync', `copy ${String(from)} missed updates of vbucket ${vb} while catching up`);
    follower.state = 'in-sync';
    this.publishLag();
  }

  /** The vbuckets (of those asked) in which `from` is not an in-sync copy of this term. */
  notInSync(asked: { vb: number; term: number }[], from: string): number[] {
    return asked
      .filter(({ vb, term }) => {
        const stream = this.streams.get(vb);
        if (stream === undefined) return false; // not ours (any more): the map will say so
        return stream.term !== term || stream.followers.get(from)?.state !== 'in-sync';
      })
      .map(({ vb }) => vb);
  }

  /**
   * What the vbuckets this shard leads need: those whose writes are refused now (fewer than a
   * majority of voting copies in sync, this one counted), and per copy the vbuckets in which it
   * is not in sync (behind: dead, dropped, or catching up).
   */
  health(): { readOnly: number[]; notInSync: Record<ShardId, number[]> } {
    const readOnly: number[] = [];
    const notInSync: Record<ShardId, number[]> = {};
    for (const [vb, stream] of this.streams) {
      let inSync = 1;
      for (const [id, follower] of stream.followers) {
        if (!follower.voting) continue;
        if (follower.state === 'in-sync') inSync++;
        else (notInSync[id] ??= []).push(vb);
      }
      if (inSync < majority(stream.copies)) readOnly.push(vb);
    }
    return { readOnly, notInSync };
  }

  private publishLag(): void {
    const lagging = new Map<ShardId, number>();
    for (const stream of this.streams.values()) {
      for (const [id, follower] of stream.followers) lagging.set(id, (lagging.get(id) ?? 0) + (follower.state === 'in-sync' ? 0 : 1));
    }
    for (const [id, count] of lagging) this.o.metrics.replicationLagging.set({ shard: id }, count);
  }
}

export type { VbStream };
