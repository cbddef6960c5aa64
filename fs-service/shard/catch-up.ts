import { splitManifestPath, type DiskEngine, type ManifestEntry } from '../engine/disk-engine.js';
import type { Logger } from '../common/logging.js';
import type { FsMetrics } from '../common/metrics.js';
import type { Effect } from '../engine/mutations.js';
import type { PeerPool } from '../wire/peer-pool.js';
import type { ReplicaStreams } from './replica-streams.js';
import type { ShardMapState } from './shard-map-state.js';
import { VBUCKETS, type VbucketEntry } from '../control/vbucket-map.js';

export interface CatchUpOptions {
  self: string;
  mapState: ShardMapState;
  engine: DiskEngine;
  peers: PeerPool;
  replica: ReplicaStreams;
  logger: Logger;
  metrics: FsMetrics;
  concurrency?: number;
}

const FETCH_BYTES = 4 * 1024 * 1024;
const FETCH_FILES = 256;

/**
 * Brings a copy that is not in sync (restarted, dropped, newly added) level with its primary
 * before it serves: ask the primary to start sending new updates (buffered here), copy the
 * difference between the primary's manifest and the local one (objects, refs, everything,
 * deleting what the primary no longer has), replay the buffered updates, and only then
 * declare the copy in sync.
 */
/** How far the running catch-ups are: files and bytes to fetch (known once each has diffed its manifest) and fetched. */
export interface CatchUpProgress {
  running: number;
  files: { done: number; total: number };
  bytes: { done: number; total: number };
}

export class CatchUp {
  private readonly active = new Map<number, Promise<void>>();
  private readonly fetching = new Map<number, { files: number; bytes: number; doneFiles: number; doneBytes: number }>();
  private readonly failures = new Map<number, number>();
  private readonly concurrency: number;

  constructor(private readonly o: CatchUpOptions) {
    this.concurrency = o.concurrency ?? 16;
  }

  get inProgress(): number {
    return this.active.size;
  }

  get progress(): CatchUpProgress {
    const out: CatchUpProgress = { running: this.active.size, files: { done: 0, total: 0 }, bytes: { done: 0, total: 0 } };
    for (const f of this.fetching.values()) {
      out.files.done += f.doneFiles;
      out.files.total += f.files;
      out.bytes.done += f.doneBytes;
      out.bytes.total += f.bytes;
    }
    return out;
  }

  /** Resolves when no catch-up of the vbucket is running (before its files are dropped). */
  async settled(vb: number): Promise<void> {
    await this.active.get(vb);
  }

  /** Starts catch-ups that are due; cheap to call often. */
  tick(): void {
    const map = this.o.mapState.map;
    if (map === null || !this.o.mapState.trusted) return;
    for (let vb = 0; vb < VBUCKETS && this.active.size < this.concurrency; vb++) {
      if (this.active.has(vb) || !this.o.replica.needsCatchUp(vb)) continue;
      const entry: VbucketEntry = map.vbuckets[vb]!;
      const primary: string = entry.copies[0]!;
      const url = this.o.mapState.urlOf(primary);
      if (entry.frozen || map.shards[primary]?.bootId == null || url === null) continue;
      if ((this.failures.get(vb) ?? 0) > Date.now()) continue;
      const run = this.run(vb, entry.term, url).finally(() => {
        this.active.delete(vb);
        this.fetching.delete(vb);
      });
      this.active.set(vb, run);
    }
  }

  private async run(vb: number, term: number, primaryUrl: string): Promise<void> {
    const peer = this.o.peers.get(primaryUrl);
    const started = Date.now();
    try {
      this.o.replica.beginCatchUp(vb, term);
      const begin = await peer.request({ op: 'syncBegin', from: this.o.self, vb, term });
      const startSeq = Number(begin.header.startSeq);
      const manifest = await peer.request({ op: 'manifest', vb, term }, [], 60_000);
      const copied = await this.copyDifference(vb, term, manifest.header.entries as ManifestEntry[], primaryUrl);
      await this.o.replica.finishCatchUp(vb, term, startSeq);
      await peer.request({ op: 'syncDone', from: this.o.self, vb, term });
      this.failures.delete(vb);
      if (copied.changed > 0) this.o.logger.info({ vb, term, ...copied, ms: Date.now() - started }, 'copy caught up');
    } catch (err) {
      this.o.replica.abortCatchUp(vb);
      this.failures.set(vb, Date.now() + 500);
      this.o.logger.warn({ vb, term, err: err instanceof Error ? err.message : String(err) }, 'catch-up failed, will retry');
    }
  }

  private async copyDifference(vb: number, term: number, remote: ManifestEntry[], primaryUrl: string): Promise<{ changed: number; bytes: number }> {
    const local = new Map((await this.o.engine.manifest(vb)).map((e) => [e.path, e]));
    const remotePaths = new Map(remote.map((e) => [e.path, e]));
    const effects = new Map<string, Effect[]>();
    const add = (path: string, effect: Effect) => {
      const [repo] = splitManifestPath(path);
      const list = effects.get(repo) ?? [];
      list.push(effect);
      effects.set(repo, list);
    };
    const repoPath = (path: string) => splitManifestPath(path)[1];

    // Extras and type changes go first, deepest first, so folders are empty when removed.
    const removals = [...local.values()].filter((e) => {
      const r = remotePaths.get(e.path);
      return r === undefined || r.type !== e.type;
    });
    for (const e of removals.sort((a, b) => b.path.length - a.path.length)) {
      if (!e.path.includes('/')) add(e.path, { kind: 'destroy' });
      else add(e.path, { kind: 'rm', path: repoPath(e.path) });
    }
    const fetches: ManifestEntry[] = [];
    for (const r of remote) {
      const l = local.get(r.path);
      const sameType = l !== undefined && l.type === r.type;
      if (r.type === 'dir') {
        if (!sameType) add(r.path, { kind: 'mkdir', path: repoPath(r.path) });
      } else if (r.type === 'symlink') {
        if (!sameType || l.target !== r.target) add(r.path, { kind: 'symlink', path: repoPath(r.path), target: r.target ?? '' });
      } else if (!sameType || l.size !== r.size || l.hash !== r.hash) {
        fetches.push(r);
      }
    }
    let bytes = 0;
    const progress = { files: fetches.length, bytes: fetches.reduce((n, e) => n + e.size, 0), doneFiles: 0, doneBytes: 0 };
    this.fetching.set(vb, progress);
    for (const batch of batches(fetches)) {
      const reply = await this.o.peers.get(primaryUrl).request({ op: 'fetch', vb, term, paths: batch.map((e) => e.path) }, [], 60_000);
      batch.forEach((entry, i) => {
        const data = reply.parts[i];
        // Deleted since the manifest was taken: the buffered updates will say so.
        if (data === null || data === undefined) return;
        bytes += data.length;
        add(entry.path, { kind: 'put', path: repoPath(entry.path), data, mode: entry.mode });
      });
      progress.doneFiles += batch.length;
      progress.doneBytes += batch.reduce((n, e) => n + e.size, 0);
    }
    this.o.metrics.moved('written', 'replica', bytes);
    let changed = 0;
    for (const [repo, list] of effects) {
      // The vbucket may have been moved away meanwhile: never recreate files of a dropped copy.
      if (this.o.mapState.role(vb) === 'none' || this.o.mapState.entry(vb)?.term !== term) throw new Error(`vbucket ${vb} changed hands during catch-up`);
      changed += list.length;
      await this.o.engine.repo(vb, repo).applyEffects(list);
    }
    return { changed, bytes };
  }

  /**
   * A copy believes it is in sync until told otherwise; the primary may have dropped it (a late
   * acknowledgement) without being able to say so. Asking the primaries about every in-sync
   * vbucket once a second bounds how long such a copy could serve stale reads.
   */
  async checkWithPrimaries(): Promise<void> {
    const map = this.o.mapState.map;
    if (map === null) return;
    const byPrimary = new Map<string, { vb: number; term: number }[]>();
    map.vbuckets.forEach((entry, vb) => {
      if (entry.frozen || entry.copies[0] === this.o.self || !this.o.replica.canServe(vb)) return;
      const url = this.o.mapState.urlOf(entry.copies[0]!);
      if (url === null) return;
      const list = byPrimary.get(url) ?? [];
      list.push({ vb, term: entry.term });
      byPrimary.set(url, list);
    });
    await Promise.all(
      [...byPrimary].map(async ([url, vbs]) => {
        try {
          const reply = await this.o.peers.get(url).request({ op: 'followState', from: this.o.self, vbs }, [], 2_000);
          for (const vb of reply.header.notInSync as number[]) this.o.replica.markOutOfSync(vb);
        } catch {
          // An unreachable primary is the supervisor's business; keep serving reads meanwhile.
        }
      }),
    );
  }
}

function* batches(entries: ManifestEntry[]): Generator<ManifestEntry[]> {
  let batch: ManifestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (batch.length > 0 && (batch.length >= FETCH_FILES || bytes + entry.size > FETCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += entry.size;
  }
  if (batch.length > 0) yield batch;
}
