import { randomBytes } from 'node:crypto';
import { splitManifestPath, type DiskEngine, type ManifestEntry } from '../engine/disk-engine.js';
import type { Logger } from '../common/logging.js';
import type { FsMetrics } from '../common/metrics.js';
import type { Effect } from '../engine/mutations.js';
import type { PeerPool } from '../wire/peer-pool.js';
import type { ReplicaStreams } from './replica-streams.js';
import type { ShardMapState } from './shard-map-state.js';
import { VBUCKETS, type VbucketEntry } from '../control/vbucket-map.js';
import { FETCH_FILE_BYTES, FETCH_FILES } from './catch-up-source.js';
import { isNotFound } from '../engine/fs-errors.js';
import { isImmutablePath } from '../engine/path-kinds.js';

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


/**
 * Brings a copy that is not in sync (restarted, dropped, newly added) level with its primary
 * before it serves: ask the primary to start sending new updates (buffered here), copy the
 * difference between the primary's manifest and the local one (objects, refs, everything,
 * deleting what the primary no longer has; small files in batches, big ones in ranges), replay
 * the buffered updates, and only then declare the copy in sync.
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

  private async copyDifference(vb: number, term: number, remote: ManifestEntry[], primaryUrl: string): Promise<{ changed: number; bytes: number; ranged: number }> {
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
    const small: ManifestEntry[] = [];
    const large: ManifestEntry[] = [];
    for (const r of remote) {
      const l = local.get(r.path);
      const sameType = l !== undefined && l.type === r.type;
      if (r.type === 'dir') {
        if (!sameType) add(r.path, { kind: 'mkdir', path: repoPath(r.path) });
      } else if (r.type === 'symlink') {
        if (!sameType || l.target !== r.target) add(r.path, { kind: 'symlink', path: repoPath(r.path), target: r.target ?? '' });
      } else if (!sameType || l.size !== r.size || l.hash !== r.hash) {
        (r.size > FETCH_FILE_BYTES ? large : small).push(r);
      }
    }
    let changed = await this.applyAll(vb, term, effects);
    // Small files in batches, each written as it arrives: memory holds one batch, not the copy.
    let bytes = 0;
    const progress = { files: small.length + large.length, bytes: [...small, ...large].reduce((n, e) => n + e.size, 0), doneFiles: 0, doneBytes: 0 };
    this.fetching.set(vb, progress);
    for (const batch of batches(small)) {
      const reply = await this.o.peers.get(primaryUrl).request({ op: 'fetch', vb, term, paths: batch.map((e) => e.path), limit: FETCH_FILE_BYTES }, [], 60_000);
      const over = new Set(Array.isArray(reply.header.over) ? (reply.header.over as number[]) : []);
      const puts = new Map<string, Effect[]>();
      batch.forEach((entry, i) => {
        const data = reply.parts[i];
        if (over.has(i)) large.push(entry);
        else if (data === null || data === undefined) vanished(entry);
        else {
          bytes += data.length;
          const [repo, path] = splitManifestPath(entry.path);
          puts.set(repo, [...(puts.get(repo) ?? []), { kind: 'put', path, data, mode: entry.mode }]);
        }
      });
      changed += await this.applyAll(vb, term, puts);
      progress.doneFiles += batch.length;
      progress.doneBytes += batch.reduce((n, e) => n + e.size, 0);
    }
    for (const entry of large) {
      bytes += await this.copyByRanges(vb, term, entry, local.has(entry.path), primaryUrl);
      changed++;
      progress.doneFiles++;
      progress.doneBytes += entry.size;
    }
    this.o.metrics.moved('written', 'replica', bytes);
    return { changed, bytes, ranged: large.length };
  }

  private async applyAll(vb: number, term: number, effects: Map<string, Effect[]>): Promise<number> {
    let changed = 0;
    for (const [repo, list] of effects) {
      this.assertStillHeld(vb, term);
      changed += list.length;
      await this.o.engine.repo(vb, repo).applyEffects(list);
    }
    return changed;
  }

  /** The vbucket may have been moved away meanwhile: never recreate files of a dropped copy. */
  private assertStillHeld(vb: number, term: number): void {
    if (this.o.mapState.role(vb) === 'none' || this.o.mapState.entry(vb)?.term !== term) throw new Error(`vbucket ${vb} changed hands during catch-up`);
  }

  /**
   * A file too big for one answer, copied range by range into a temporary name beside it with
   * part effects and published with a rename effect, as a push publishes a pack: one range is in
   * memory at a time, whatever the file's size. Bytes past the manifest's size were written
   * after the copy began, so the buffered updates bring them.
   */
  private async copyByRanges(vb: number, term: number, entry: ManifestEntry, replace: boolean, primaryUrl: string): Promise<number> {
    const [repo, path] = splitManifestPath(entry.path);
    const disk = this.o.engine.repo(vb, repo);
    const temp = `${path.slice(0, path.lastIndexOf('/'))}/.catch-up-${randomBytes(8).toString('hex')}`;
    let copied = 0;
    let ranges = 0;
    let published = false;
    try {
      while (copied < entry.size) {
        ranges++;
        const length = Math.min(FETCH_FILE_BYTES, entry.size - copied);
        let data: Buffer;
        try {
          const reply = await this.o.peers.get(primaryUrl).request({ op: 'fetchRange', vb, term, path: entry.path, offset: copied, length }, [], 60_000);
          data = reply.parts[0] ?? Buffer.alloc(0);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          vanished(entry);
          return copied;
        }
        this.assertStillHeld(vb, term);
        // The first part names the file even when empty, so the rename below always has a source.
        if (data.length > 0 || copied === 0) await disk.applyEffects([{ kind: 'part', path: temp, offset: copied, data }]);
        copied += data.length;
        if (data.length < length) break;
      }
      this.assertStillHeld(vb, term);
      // A content-addressed file of another size here is not the one named: it goes first.
      await disk.applyEffects([...(replace && isImmutablePath(path) ? [{ kind: 'rm' as const, path }] : []), { kind: 'rename', from: temp, to: path }]);
      published = true;
      this.o.logger.info({ vb, path: entry.path, bytes: copied, ranges }, 'copied a big file by ranges');
      return copied;
    } finally {
      if (!published) await disk.applyEffects([{ kind: 'rm', path: temp }]).catch(() => undefined);
    }
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

/**
 * A file of the manifest that is gone when fetched. A content-addressed one was deleted, and the
 * buffered updates say so. Any other may have been renamed into a pack, or be a file assembled in
 * parts whose later parts are buffered: replayed without the earlier bytes they would publish a
 * file with a hole, so this attempt fails and the next starts from a new manifest.
 */
function vanished(entry: ManifestEntry): void {
  if (!isImmutablePath(splitManifestPath(entry.path)[1])) throw new Error(`${entry.path} changed during the copy; catching up again`);
}

function* batches(entries: ManifestEntry[]): Generator<ManifestEntry[]> {
  let batch: ManifestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (batch.length > 0 && (batch.length >= FETCH_FILES || bytes + entry.size > FETCH_FILE_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(entry);
    bytes += entry.size;
  }
  if (batch.length > 0) yield batch;
}
