import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { hasCode } from './fs-errors.js';

/**
 * The crash-safety primitive: data goes to a temp file that is fsynced, renamed over the target
 * (atomic on POSIX), and the target's folder is fsynced so the rename itself survives a power
 * cut. Readers therefore see the old file or the new one, never a torn one.
 */

let tempCounter = 0;
const tempPrefix = `${process.pid}-${randomBytes(4).toString('hex')}`;

export function tempPath(tmpDir: string): string {
  tempCounter = (tempCounter + 1) % Number.MAX_SAFE_INTEGER;
  return join(tmpDir, `${tempPrefix}-${tempCounter}`);
}

/**
 * Coalesces folder fsyncs: callers that arrive while one is running share the next one, which
 * starts after theirs renamed (an fsync that began earlier might not cover their rename).
 */
class DirSyncer {
  private readonly running = new Map<string, Promise<void>>();
  private readonly next = new Map<string, Promise<void>>();

  sync(dir: string): Promise<void> {
    const queued = this.next.get(dir);
    if (queued !== undefined) return queued;
    const current = this.running.get(dir);
    if (current === undefined) return this.start(dir);
    const after = current.catch(() => undefined).then(() => {
      this.next.delete(dir);
      return this.start(dir);
    });
    this.next.set(dir, after);
    return after;
  }

  private start(dir: string): Promise<void> {
    const run = fsyncDir(dir).finally(() => {
      if (this.running.get(dir) === run) this.running.delete(dir);
    });
    this.running.set(dir, run);
    return run;
  }
}

const dirSyncer = new DirSyncer();

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function syncDir(dir: string): Promise<void> {
  return dirSyncer.sync(dir);
}

/** Writes and fsyncs a temp file; the caller publishes it. */
export async function writeTemp(tmpDir: string, data: Uint8Array, mode?: number): Promise<string> {
  const path = tempPath(tmpDir);
  const handle = await fsp.open(path, 'wx', mode ?? 0o644);
  try {
    await handle.writeFile(data);
    if (mode !== undefined) await handle.chmod(mode & 0o777);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.rm(path, { force: true });
    throw err;
  }
  await handle.close();
  return path;
}

/**
 * Creates `dir` and its missing parents below `floor` (a folder known to exist), fsyncing each
 * new folder's parent so the folder itself is durable.
 */
export async function mkdirsDurable(dir: string, floor: string): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  while (current.length > floor.length) {
    try {
      await fsp.stat(current);
      break;
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
      missing.push(current);
      current = dirname(current);
    }
  }
  for (const folder of [...missing].reverse()) {
    try {
      await fsp.mkdir(folder);
    } catch (err) {
      if (!hasCode(err, 'EEXIST')) throw err;
    }
  }
  await Promise.all(missing.map((created) => syncDir(dirname(created))));
}

/**
 * Renames a synced temp file over `target`, creating missing parents down from `floor`, then
 * fsyncs the target's folder unless the caller syncs every folder of a batch once at its end
 * (`syncFolder: false`: a journaled swap, whose journal outlives its renames until then).
 */
export async function publish(temp: string, target: string, floor: string, syncFolder = true): Promise<void> {
  try {
    await fsp.rename(temp, target);
  } catch (err) {
    if (!hasCode(err, 'ENOENT')) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
    try {
      await mkdirsDurable(dirname(target), floor);
      await fsp.rename(temp, target);
    } catch (retryErr) {
      await fsp.rm(temp, { force: true });
      throw retryErr;
    }
  }
  if (syncFolder) await syncDir(dirname(target));
}

export async function writeFileDurable(tmpDir: string, target: string, data: Uint8Array, floor: string, mode?: number): Promise<void> {
  const temp = await writeTemp(tmpDir, data, mode);
  await publish(temp, target, floor);
}

/**
 * Exclusive create without a lock: link(2) of a synced temp file fails with EEXIST when the
 * target exists, atomically, even against another process.
 */
export async function createExclusiveDurable(tmpDir: string, target: string, data: Uint8Array, floor: string): Promise<boolean> {
  const temp = await writeTemp(tmpDir, data);
  try {
    try {
      await fsp.link(temp, target);
    } catch (err) {
      if (hasCode(err, 'EEXIST')) return false;
      if (!hasCode(err, 'ENOENT')) throw err;
      await mkdirsDurable(dirname(target), floor);
      try {
        await fsp.link(temp, target);
      } catch (retryErr) {
        if (hasCode(retryErr, 'EEXIST')) return false;
        throw retryErr;
      }
    }
    await syncDir(dirname(target));
    return true;
  } finally {
    await fsp.rm(temp, { force: true });
  }
}

/** Removes a file or folder entry and makes the removal durable. */
export async function removeDurable(target: string, kind: 'file' | 'dir'): Promise<void> {
  if (kind === 'file') await fsp.unlink(target);
  else await fsp.rmdir(target);
  await syncDir(dirname(target));
}

// Opened for a part: created when absent, never truncated, never through a link planted at the
// name, and a FIFO planted there fails instead of blocking the open.
const PART_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK;

/**
 * Writes `data` at `offset` of `target` (pwrite), keeping every other byte. Deliberately not
 * fsynced: a file assembled in parts is made durable once, whole, by publishAssembled.
 */
export async function writeAt(target: string, offset: number, data: Uint8Array): Promise<void> {
  const handle = await fsp.open(target, PART_FLAGS, 0o644);
  try {
    if (!(await handle.stat()).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await handle.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Publishes a file assembled by writeAt: fsyncs it, renames it over `target` and fsyncs the
 * folders, so the published file is whole after a power cut. A content-addressed target that
 * already exists holds these very bytes: the source is removed instead. Returns false, changing
 * nothing, when the source is gone (a replay of a rename already done, when the target is there).
 */
export async function publishAssembled(source: string, target: string, contentAddressed: boolean): Promise<boolean> {
  let handle;
  try {
    handle = await fsp.open(source, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return false;
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    await handle.sync();
  } finally {
    await handle.close();
  }
  const exists = contentAddressed && (await fsp.lstat(target).then((s) => s.isFile(), () => false));
  if (exists) await fsp.unlink(source);
  else await fsp.rename(source, target);
  const dirs = new Set([dirname(source), dirname(target)]);
  if (exists) dirs.delete(dirname(target));
  await Promise.all([...dirs].map((dir) => syncDir(dir)));
  return true;
}
