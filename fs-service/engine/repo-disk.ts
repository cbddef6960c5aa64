import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, existsSync, fstatSync, openSync, promises as fsp, readlinkSync, readSync, realpathSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FsError, type SwapOp } from '../contract.js';
import { mapLimit } from '../common/map-limit.js';
import { createExclusiveDurable, mkdirsDurable, publish, publishAssembled, removeDurable, syncDir, writeAt, writeFileDurable, writeTemp } from './durable-write.js';
import { statFieldsOf, VIRTUAL_ROOT, type StatFields } from './file-stat.js';
import { hasCode, isNotFound, toFsError } from './fs-errors.js';
import type { KeyedLock } from './keyed-lock.js';
import type { Effect, Mutation } from './mutations.js';
import { assertNoPathBelowAnother, assertPart, assertRange, assertRename, assertSymlinkTarget, canonicalPath, parseRepoPath } from './path-safety.js';
import { isImmutablePath } from './path-kinds.js';

/** What a RepoDisk needs from the engine that owns the data directory. */
export interface DiskContext {
  /** realpath of the data directory. */
  readonly dataDir: string;
  readonly tmpDir: string;
  readonly journalDir: string;
  readonly trashDir: string;
  readonly locks: KeyedLock;
}

type Decided = (effects: Effect[]) => void;

/** Files up to this size are read synchronously by readMany (see there). */
const SYNC_READ_LIMIT = 64 * 1024;

/** Linux names every open file's resolved path here; elsewhere readMany confines with realpath. */
const OPEN_FILE_PATHS = existsSync('/proc/self/fd') ? '/proc/self/fd' : null;

/**
 * One repository's files on one disk: <dataDir>/<vbucket>/<repo>/... Every path is parsed and
 * confined before any I/O, so a refused request changes nothing. Symlinks are resolved by the
 * OS and the result must stay under the repository root (realpath check), which also catches
 * links planted out of band.
 */
export class RepoDisk {
  readonly root: string;

  constructor(
    private readonly ctx: DiskContext,
    readonly vbDir: string,
    readonly name: string,
  ) {
    this.root = join(vbDir, name);
  }

  // ---- reads -------------------------------------------------------------------------------

  async readFile(path: unknown): Promise<Buffer> {
    const segments = this.fileSegments(path);
    const display = '/' + segments.join('/');
    const real = await this.resolveExisting(segments, display);
    try {
      return await fsp.readFile(real);
    } catch (err) {
      throw toFsError(err, display);
    }
  }

  async readRange(path: unknown, offset: unknown, length: unknown): Promise<Buffer> {
    assertRange(offset, length);
    const segments = this.fileSegments(path);
    const display = '/' + segments.join('/');
    const real = await this.resolveExisting(segments, display);
    try {
      const handle = await fsp.open(real, 'r');
      try {
        return await readAt(handle, offset as number, length as number);
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw toFsError(err, display);
    }
  }

  /**
   * A whole file for a copy catching up, or 'over' when it holds more than `limit` bytes (it is
   * then copied in ranges); null when absent. Sized and read through one handle, so a file that
   * grows meanwhile is read to the size judged.
   */
  async readUpTo(path: unknown, limit: number): Promise<Buffer | null | 'over'> {
    const segments = this.fileSegments(path);
    const display = '/' + segments.join('/');
    try {
      const handle = await fsp.open(await this.resolveExisting(segments, display), 'r');
      try {
        const { size } = await handle.stat();
        return size > limit ? 'over' : await readAt(handle, 0, size);
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toFsError(err, display);
    }
  }

  async stat(path: unknown, follow: boolean): Promise<StatFields> {
    const segments = parseRepoPath(path);
    const display = '/' + segments.join('/');
    if (segments.length === 0) return this.rootStat();
    try {
      if (follow) return statFieldsOf(await fsp.stat(await this.resolveExisting(segments, display)));
      return statFieldsOf(await fsp.lstat(await this.resolveEntry(segments, display)));
    } catch (err) {
      throw toFsError(err, display);
    }
  }

  async readdir(path: unknown): Promise<string[]> {
    const segments = parseRepoPath(path);
    const display = '/' + segments.join('/');
    try {
      const real = segments.length === 0 ? await this.realRoot() : await this.resolveExisting(segments, display);
      if (real === null) return [];
      const names = await fsp.readdir(real);
      return names.sort();
    } catch (err) {
      throw toFsError(err, display);
    }
  }

  async readlink(path: unknown): Promise<string> {
    const segments = parseRepoPath(path);
    const display = '/' + segments.join('/');
    if (segments.length === 0) throw new FsError('EINVAL', 'not a symbolic link', display);
    try {
      return await fsp.readlink(await this.resolveEntry(segments, display));
    } catch (err) {
      throw toFsError(err, display);
    }
  }

  async readOrNull(path: unknown): Promise<Buffer | null> {
    try {
      return await this.readFile(path);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * Batched reads are for small mutable files (refs, HEAD, metadata): they are read with
   * synchronous calls, which for a file in the page cache cost a few microseconds where the
   * thread-pool round trips of realpath+open+fstat+read+close cost five hand-offs each (5x fewer
   * reads per second, measured). A file over SYNC_READ_LIMIT is read asynchronously.
   * The batch holds the repository lock shared, so it never sees half of a compare-and-swap
   * (an event log's new sequence number without its entry, one ref moved and not the other).
   */
  async readMany(paths: unknown): Promise<(Buffer | null)[]> {
    if (!Array.isArray(paths)) throw new FsError('EINVAL', 'readMany needs an array of paths');
    const parsed = paths.map((p) => canonicalPath(p));
    return this.ctx.locks.run(this.root, 'shared', async () => {
      const out = parsed.map((p) => this.readSmallOrNull(p));
      return Promise.all(out.map((b, i) => (b === 'large' ? this.readOrNull(parsed[i]) : b)));
    });
  }

  private readSmallOrNull(path: string): Buffer | null | 'large' {
    const segments = this.fileSegments(path);
    const display = '/' + segments.join('/');
    let fd: number | undefined;
    try {
      fd = this.openConfined(segments, display);
      const stats = fstatSync(fd);
      // A folder holds no bytes: readMany answers "no file here" (a ref name that is a folder of refs).
      if (stats.isDirectory()) return null;
      if (!stats.isFile()) throw new FsError('EINVAL', 'not a regular file', display);
      if (stats.size > SYNC_READ_LIMIT) return 'large';
      const bytes = Buffer.allocUnsafe(stats.size);
      let done = 0;
      while (done < bytes.length) {
        const n = readSync(fd, bytes, done, bytes.length - done, done);
        if (n === 0) break;
        done += n;
      }
      return done === bytes.length ? bytes : bytes.subarray(0, done);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toFsError(err, display);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /**
   * Opens a file for reading only if it resolves inside the repository. On Linux the file is
   * opened first and the path the kernel resolved is read back from /proc/self/fd: two system
   * calls where realpath makes one per path component (a third of a batched read's cost), and
   * it checks the very file that was opened. A symlink as the last component (ELOOP under
   * NOFOLLOW), and systems without /proc, take realpath, then open the checked path NOFOLLOW so
   * it cannot be swapped for a link in between.
   */
  private openConfined(segments: string[], display: string): number {
    // NONBLOCK: a FIFO planted out of band must not hang the shard in open().
    const flags = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK;
    const full = join(this.root, ...segments);
    if (OPEN_FILE_PATHS !== null) {
      let fd: number | undefined;
      try {
        fd = openSync(full, flags);
      } catch (err) {
        if (!hasCode(err, 'ELOOP')) throw err;
      }
      if (fd !== undefined) {
        try {
          this.assertInside(readlinkSync(`${OPEN_FILE_PATHS}/${fd}`), display);
          return fd;
        } catch (err) {
          closeSync(fd);
          throw err;
        }
      }
    }
    const real = realpathSync.native(full);
    this.assertInside(real, display);
    return openSync(real, flags);
  }

  // ---- mutations ---------------------------------------------------------------------------

  /**
   * Applies one client mutation durably. `onDecided` runs, while the repository lock is held,
   * as soon as the effects are certain: before the disk write for file writes and swaps (whose
   * preconditions are checked first), after it for the rest. A replicating caller numbers and
   * ships the effects there, so copies write in parallel with this disk and in lock order.
   */
  async execute(mutation: Mutation, onDecided?: Decided): Promise<boolean> {
    return this.ctx.locks.run(this.root, takesSharedLock(mutation) ? 'shared' : 'exclusive', async () => {
      let announced = false;
      const decide = (effects: Effect[]) => {
        announced = true;
        if (effects.length > 0) onDecided?.(effects);
      };
      const { result, effects } = await this.apply(mutation, decide);
      if (!announced) decide(effects);
      return result;
    });
  }

  private async apply(m: Mutation, decide: Decided): Promise<{ result: boolean; effects: Effect[] }> {
    switch (m.op) {
      case 'writeFile': {
        const segments = this.fileSegments(m.path);
        const display = '/' + segments.join('/');
        const target = await this.resolveForCreate(segments, display);
        const existing = await fsp.lstat(target).catch(() => null);
        if (existing?.isDirectory()) throw new FsError('EISDIR', 'illegal operation on a directory', display);
        // Content-addressed: a file already there has these very bytes.
        if (existing !== null && existing.isFile() && existing.size === m.data.length && isImmutablePath(display)) return { result: true, effects: [] };
        decide([{ kind: 'put', path: display, data: m.data, ...(m.mode === undefined ? {} : { mode: m.mode }) }]);
        await this.guard(display, () => writeFileDurable(this.ctx.tmpDir, target, m.data, this.ctx.dataDir, m.mode));
        return { result: true, effects: [] };
      }
      case 'mkdir':
        return { result: true, effects: await this.mkdir(m.path, m.recursive) };
      case 'rmdir':
        return { result: true, effects: [{ kind: 'rmdir', path: await this.remove(m.path, 'dir') }] };
      case 'unlink':
        return { result: true, effects: [{ kind: 'unlink', path: await this.remove(m.path, 'file') }] };
      case 'rm':
        return { result: true, effects: await this.rm(m.path, m.recursive, m.force) };
      case 'symlink':
        return { result: true, effects: [await this.symlink(m.target, m.path)] };
      case 'cas':
        return this.compareAndSwap(m.ops, decide);
      case 'createExclusive': {
        const segments = this.fileSegments(m.path);
        const display = '/' + segments.join('/');
        const target = await this.resolveForCreate(segments, display);
        const created = await this.guard(display, () => createExclusiveDurable(this.ctx.tmpDir, target, m.data, this.ctx.dataDir));
        return { result: created, effects: created ? [{ kind: 'put', path: display, data: m.data }] : [] };
      }
      case 'part': {
        const path = assertPart(m.path, m.offset, m.data);
        await this.assertFileCanBePlaced(path);
        const target = await this.resolveForCreate(parseRepoPath(path), path);
        decide([{ kind: 'part', path, offset: m.offset, data: m.data }]);
        await this.guard(path, () => writeAt(target, m.offset, m.data));
        return { result: true, effects: [] };
      }
      case 'rename':
        return this.rename(m.from, m.to, decide);
      case 'destroy':
        await this.destroy();
        return { result: true, effects: [{ kind: 'destroy' }] };
    }
  }

  /** Every check first (the source is a file, nothing is in the target's way), then one decision. */
  private async rename(from: string, to: string, decide: Decided): Promise<{ result: boolean; effects: Effect[] }> {
    const paths = assertRename(from, to);
    const source = await this.resolveEntry(parseRepoPath(paths.from), paths.from);
    const stats = await fsp.lstat(source).catch(() => null);
    if (stats === null || !stats.isFile()) throw new FsError('ENOENT', 'no such file', paths.from);
    const contentAddressed = isImmutablePath(paths.to);
    const targetSegments = parseRepoPath(paths.to);
    const present = contentAddressed && (await isFile(join(this.root, ...targetSegments)));
    if (!present) await this.assertFileCanBePlaced(paths.to);
    const target = await this.resolveForCreate(targetSegments, paths.to);
    decide([{ kind: 'rename', from: paths.from, to: paths.to }]);
    await this.guard(paths.to, () => publishAssembled(source, target, contentAddressed));
    return { result: true, effects: [] };
  }

  private async put(path: string, data: Buffer): Promise<void> {
    const segments = this.fileSegments(path);
    const display = '/' + segments.join('/');
    const target = await this.resolveForCreate(segments, display);
    await this.guard(display, () => writeFileDurable(this.ctx.tmpDir, target, data, this.ctx.dataDir));
  }

  private async mkdir(path: string, recursive: boolean): Promise<Effect[]> {
    const segments = parseRepoPath(path);
    const display = '/' + segments.join('/');
    if (segments.length === 0) {
      if (recursive) return [];
      throw new FsError('EEXIST', 'file already exists', display);
    }
    if (recursive) {
      const target = await this.resolveForCreate(segments, display);
      await this.guard(display, async () => {
        const existing = await fsp.stat(target).catch(() => null);
        if (existing !== null && !existing.isDirectory()) throw new FsError('EEXIST', 'file already exists', display);
        await mkdirsDurable(target, this.ctx.dataDir);
      });
    } else {
      const parent = await this.resolveDir(segments.slice(0, -1), display, false);
      const target = join(parent, segments[segments.length - 1]!);
      await this.guard(display, async () => {
        await fsp.mkdir(target);
        await syncDir(parent);
      });
    }
    return [{ kind: 'mkdir', path: display }];
  }

  private async remove(path: string, kind: 'file' | 'dir'): Promise<string> {
    const segments = this.removableSegments(path);
    const display = '/' + segments.join('/');
    const target = await this.resolveEntry(segments, display);
    await this.guard(display, () => removeDurable(target, kind));
    return display;
  }

  private async rm(path: string, recursive: boolean, force: boolean): Promise<Effect[]> {
    const segments = this.removableSegments(path);
    const display = '/' + segments.join('/');
    let target: string;
    try {
      target = await this.resolveEntry(segments, display);
    } catch (err) {
      if (force && isNotFound(err)) return [];
      throw err;
    }
    await this.guard(display, async () => {
      await fsp.rm(target, { recursive, force });
      await syncDir(dirname(target));
    });
    return [{ kind: 'rm', path: display }];
  }

  private async symlink(target: unknown, path: string): Promise<Effect> {
    const segments = this.fileSegments(path);
    const display = '/' + segments.join('/');
    const checked = assertSymlinkTarget(target, segments);
    const link = await this.resolveForCreate(segments, display);
    await this.guard(display, async () => {
      await fsp.symlink(checked, link);
      await syncDir(dirname(link));
    });
    return { kind: 'symlink', path: display, target: checked };
  }

  private async compareAndSwap(ops: SwapOp[], decide: Decided): Promise<{ result: boolean; effects: Effect[] }> {
    if (!Array.isArray(ops) || ops.length === 0) throw new FsError('EINVAL', 'compareAndSwap needs at least one op');
    const seen = new Set<string>();
    const checked = ops.map((op) => {
      if (typeof op !== 'object' || op === null) throw new FsError('EINVAL', 'a swap op must be an object');
      const path = '/' + this.fileSegments(op.path).join('/');
      if (seen.has(path)) throw new FsError('EINVAL', 'a path appears twice in one compareAndSwap', path);
      seen.add(path);
      for (const value of [op.expected, op.next]) {
        if (value !== null && !(value instanceof Uint8Array)) throw new FsError('EINVAL', 'expected/next must be bytes or null', path);
      }
      return { path, expected: op.expected === null ? null : Buffer.from(op.expected), next: op.next === null ? null : Buffer.from(op.next) };
    });
    assertNoPathBelowAnother(checked.map((op) => op.path));
    for (const op of checked) {
      const current = await this.readOrNull(op.path);
      const same = current === null || op.expected === null ? current === op.expected : current.equals(op.expected);
      if (!same) return { result: false, effects: [] };
    }
    const changes = checked.filter((op) => !(op.expected === null && op.next === null));
    // Refused before anything is decided (and so replicated): a write that could only fail half-way.
    for (const op of changes) if (op.next !== null) await this.assertFileCanBePlaced(op.path);
    const effects: Effect[] = changes.map((op) => (op.next === null ? { kind: 'unlink', path: op.path } : { kind: 'put', path: op.path, data: op.next }));
    decide(effects);
    if (changes.length === 1) {
      const [op] = changes;
      if (op!.next === null) await this.remove(op!.path, 'file');
      else await this.put(op!.path, op!.next);
    } else if (changes.length > 1) {
      await this.journaledSwap(changes.map((op) => ({ path: op.path, next: op.next })));
    }
    return { result: true, effects: [] };
  }

  /**
   * Several renames cannot be atomic together, so the intent is logged first: after a crash the
   * engine replays the journal forward (renames of surviving temp files, deletes), which is
   * idempotent because the repository lock was held until the journal was removed.
   */
  private async journaledSwap(changes: { path: string; next: Buffer | null }[]): Promise<void> {
    const journal = join(this.ctx.journalDir, `${Date.now()}-${randomBytes(6).toString('hex')}.json`);
    // Temp files are written and fsynced many at a time: a push of thousands of refs (and their
    // events) would otherwise wait for one journal commit of the file system per file.
    const written = await mapLimit(changes, async (change): Promise<{ entry: JournalEntry } | { err: unknown }> => {
      try {
        const target = await this.resolveForCreate(parseRepoPath(change.path), change.path);
        return { entry: change.next === null ? { target } : { target, temp: await writeTemp(this.ctx.tmpDir, change.next) } };
      } catch (err) {
        return { err };
      }
    });
    const entries = written.flatMap((w) => ('entry' in w ? [w.entry] : []));
    const failed = written.find((w): w is { err: unknown } => 'err' in w);
    try {
      if (failed !== undefined) throw failed.err;
      await writeFileDurable(this.ctx.tmpDir, journal, Buffer.from(JSON.stringify(entries)), this.ctx.dataDir);
    } catch (err) {
      // No journal, no swap: the temp files written so far would otherwise wait for a restart.
      await Promise.all(entries.map((e) => (e.temp === undefined ? undefined : fsp.rm(e.temp, { force: true }))));
      throw err;
    }
    await replayJournalEntries(entries, this.ctx.dataDir);
    await removeDurable(journal, 'file');
  }

  private async destroy(): Promise<void> {
    const trash = join(this.ctx.trashDir, `${this.name}-${randomBytes(6).toString('hex')}`);
    try {
      await fsp.rename(this.root, trash);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return;
      throw toFsError(err, '/');
    }
    await syncDir(this.vbDir);
    await fsp.rm(trash, { recursive: true, force: true });
  }

  // ---- replica side ------------------------------------------------------------------------

  /**
   * Reproduces effects decided elsewhere. Tolerant of "already so" outcomes because a replica
   * catching up may replay effects its copied snapshot already contains.
   */
  async applyEffects(effects: readonly Effect[]): Promise<void> {
    const shared = effects.every((e) => (e.kind === 'put' && isImmutablePath(e.path)) || e.kind === 'part' || (e.kind === 'rename' && isImmutablePath(e.to)));
    await this.ctx.locks.run(this.root, shared ? 'shared' : 'exclusive', async () => {
      for (const effect of effects) await this.applyEffect(effect);
    });
  }

  private async applyEffect(effect: Effect): Promise<void> {
    if (effect.kind === 'destroy') return this.destroy();
    if (effect.kind === 'rename') return this.replayRename(effect.from, effect.to);
    const segments = parseRepoPath(effect.path);
    const display = '/' + segments.join('/');
    try {
      switch (effect.kind) {
        case 'put': {
          const target = await this.resolveForCreate(segments, display);
          const existing = await fsp.lstat(target).catch(() => null);
          if (existing?.isDirectory()) await fsp.rm(target, { recursive: true, force: true });
          await writeFileDurable(this.ctx.tmpDir, target, effect.data, this.ctx.dataDir, effect.mode);
          return;
        }
        case 'part': {
          const target = await this.resolveForCreate(segments, display);
          const existing = await fsp.lstat(target).catch(() => null);
          if (existing !== null && !existing.isFile()) await fsp.rm(target, { recursive: true, force: true });
          await writeAt(target, effect.offset, effect.data);
          return;
        }
        case 'mkdir':
          if (segments.length > 0) await mkdirsDurable(await this.resolveForCreate(segments, display), this.ctx.dataDir);
          return;
        case 'unlink':
        case 'rmdir':
        case 'rm': {
          if (segments.length === 0) return;
          const target = await this.resolveEntry(segments, display);
          const existing = await fsp.lstat(target);
          if (effect.kind === 'rmdir' && (await fsp.readdir(target)).length > 0) return;
          await fsp.rm(target, { recursive: existing.isDirectory(), force: true });
          await syncDir(dirname(target));
          return;
        }
        case 'symlink': {
          const link = await this.resolveForCreate(segments, display);
          await fsp.rm(link, { force: true });
          await fsp.symlink(assertSymlinkTarget(effect.target, segments), link);
          await syncDir(dirname(link));
          return;
        }
      }
    } catch (err) {
      if (isNotFound(err)) return;
      throw toFsError(err, display);
    }
  }

  /**
   * A rename replayed where it was already done (source gone, target there) changes nothing. With
   * neither there, this copy missed the parts: it fails (EIO), so the copy catches up again
   * rather than publish nothing, or a file of parts replayed over a hole.
   */
  private async replayRename(from: string, to: string): Promise<void> {
    const fromSegments = parseRepoPath(from);
    const toSegments = parseRepoPath(to);
    const display = '/' + toSegments.join('/');
    try {
      const target = await this.resolveForCreate(toSegments, display);
      const existing = await fsp.lstat(target).catch(() => null);
      if (existing?.isDirectory()) await fsp.rm(target, { recursive: true, force: true });
      let source: string | null = null;
      try {
        source = await this.resolveEntry(fromSegments, '/' + fromSegments.join('/'));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const moved = source !== null && (await publishAssembled(source, target, isImmutablePath(display)));
      if (!moved && !(await isFile(target))) throw new FsError('EIO', `cannot replay the rename from ${'/' + fromSegments.join('/')}: neither file is on this copy`, display);
    } catch (err) {
      throw toFsError(err, display);
    }
  }

  /**
   * A file can be written at `path` only if no folder sits there and every parent is a folder (or
   * absent, to be created): otherwise ENOTDIR/EISDIR, so a caller learns of the clash before
   * anything changes. One stat when the parent folder exists, the common case.
   */
  private async assertFileCanBePlaced(path: string): Promise<void> {
    const segments = this.fileSegments(path);
    const display = '/' + segments.join('/');
    const existing = await fsp.lstat(join(this.root, ...segments)).catch(() => null);
    if (existing?.isDirectory()) throw new FsError('EISDIR', 'a folder is in the way', display);
    for (let depth = segments.length - 1; depth > 0; depth--) {
      const parent = join(this.root, ...segments.slice(0, depth));
      let stats;
      try {
        stats = await fsp.stat(parent);
      } catch (err) {
        if (hasCode(err, 'ENOENT')) continue;
        if (hasCode(err, 'ENOTDIR')) continue;
        throw toFsError(err, display);
      }
      if (!stats.isDirectory()) throw new FsError('ENOTDIR', `"/${segments.slice(0, depth).join('/')}" is a file, not a folder`, display);
      return;
    }
  }

  // ---- confinement -------------------------------------------------------------------------

  private fileSegments(path: unknown): string[] {
    const segments = parseRepoPath(path);
    if (segments.length === 0) throw new FsError('EISDIR', 'illegal operation on a directory', '/');
    return segments;
  }

  private removableSegments(path: unknown): string[] {
    const segments = parseRepoPath(path);
    if (segments.length === 0) throw new FsError('EACCES', 'the repository root cannot be removed (use destroy)', '/');
    return segments;
  }

  private async guard<T>(display: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toFsError(err, display);
    }
  }

  private assertInside(real: string, display: string): void {
    if (real !== this.root && !real.startsWith(this.root + '/')) {
      throw new FsError('EACCES', 'path resolves outside the repository', display);
    }
  }

  private async rootStat(): Promise<StatFields> {
    try {
      const stats = await fsp.stat(this.root);
      return statFieldsOf(stats);
    } catch (err) {
      if (isNotFound(err)) return VIRTUAL_ROOT;
      throw toFsError(err, '/');
    }
  }

  /** The root's real path, or null when the repository has no folder yet. */
  private async realRoot(): Promise<string | null> {
    try {
      const real = await fsp.realpath(this.root);
      this.assertInside(real, '/');
      return real;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** Follows every link; the file must exist and be inside. */
  private async resolveExisting(segments: string[], display: string): Promise<string> {
    let real: string;
    try {
      real = await fsp.realpath(join(this.root, ...segments));
    } catch (err) {
      throw toFsError(err, display);
    }
    this.assertInside(real, display);
    return real;
  }

  /** The entry itself (not followed) inside its real, confined parent. */
  private async resolveEntry(segments: string[], display: string): Promise<string> {
    const parent = await this.resolveDir(segments.slice(0, -1), display, false);
    return join(parent, segments[segments.length - 1]!);
  }

  /** Like resolveEntry, creating missing parent folders durably. */
  private async resolveForCreate(segments: string[], display: string): Promise<string> {
    const parent = await this.resolveDir(segments.slice(0, -1), display, true);
    return join(parent, segments[segments.length - 1]!);
  }

  /**
   * A folder's confined real path. Missing folders are created when `create` is set; the
   * repository root is always created on demand because it exists virtually.
   */
  private async resolveDir(dirSegments: string[], display: string, create: boolean): Promise<string> {
    const full = join(this.root, ...dirSegments);
    try {
      const real = await fsp.realpath(full);
      this.assertInside(real, display);
      return real;
    } catch (err) {
      if (err instanceof FsError || !hasCode(err, 'ENOENT') || !(create || dirSegments.length === 0)) throw toFsError(err, display);
    }
    const ancestor = await this.deepestExisting(full);
    if (ancestor !== this.root && !ancestor.startsWith(this.root + '/') && !this.root.startsWith(ancestor + '/')) {
      throw new FsError('EACCES', 'path resolves outside the repository', display);
    }
    await this.guard(display, () => mkdirsDurable(full, this.ctx.dataDir));
    const real = await fsp.realpath(full);
    this.assertInside(real, display);
    return real;
  }

  private async deepestExisting(full: string): Promise<string> {
    let current = full;
    for (;;) {
      try {
        return await fsp.realpath(current);
      } catch (err) {
        if (!hasCode(err, 'ENOENT')) throw toFsError(err);
        const up = dirname(current);
        if (up === current) return up;
        current = up;
      }
    }
  }
}

/** Parts and publications of content-addressed files need no exclusion (see RepoStore.writePart). */
function takesSharedLock(m: Mutation): boolean {
  switch (m.op) {
    case 'writeFile':
    case 'createExclusive':
      return isImmutablePath(canonicalPath(m.path));
    case 'part':
      return true;
    case 'rename':
      return isImmutablePath(canonicalPath(m.to));
    default:
      return false;
  }
}

function isFile(path: string): Promise<boolean> {
  return fsp.lstat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/** Up to `length` bytes from `offset` (fewer at the end of the file). */
async function readAt(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < bytes.length) {
    const { bytesRead } = await handle.read(bytes, done, bytes.length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === bytes.length ? bytes : Buffer.from(bytes.subarray(0, done));
}

export interface JournalEntry {
  target: string;
  /** Present for a write: the synced temp file to rename over the target. Absent: delete. */
  temp?: string;
}

/** Rolls a journal forward; safe to run again after a crash half-way through. */
export async function replayJournalEntries(entries: JournalEntry[], floor: string): Promise<void> {
  const dirs = new Set<string>();
  for (const entry of entries) {
    dirs.add(dirname(entry.target));
    if (entry.temp === undefined) {
      await fsp.unlink(entry.target).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      continue;
    }
    const temp = entry.temp;
    const present = await fsp.stat(temp).then(
      () => true,
      () => false,
    );
    // Folders are synced once each below, before the caller removes the journal.
    if (present) await publish(temp, entry.target, floor, false);
  }
  await Promise.all([...dirs].map((dir) => syncDir(dir).catch(() => undefined)));
}
