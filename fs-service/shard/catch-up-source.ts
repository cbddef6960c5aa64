import { FsError } from '../contract.js';
import { splitManifestPath, type DiskEngine } from '../engine/disk-engine.js';
import { MAX_RANGE_BYTES } from '../engine/path-safety.js';
import type { Reply } from '../wire/frame-server.js';

/**
 * What a primary serves a copy catching up (see CatchUp): files whole when small, in ranges when
 * not, so no answer carries more than a few MiB whatever the size of the file it copies.
 */

/** Most bytes of one file a `fetch` answer carries whole; a bigger file is copied by ranges. */
export const FETCH_FILE_BYTES = 4 * 1024 * 1024;
/** Most files one `fetch` may name. */
export const FETCH_FILES = 256;

/**
 * Files named by manifest paths: each part is the file, or null when it is absent or holds more
 * than `limit` bytes (it may have grown since the manifest); `over` lists the latter by index.
 */
export async function fetchFiles(engine: DiskEngine, vb: number, paths: unknown, limit: unknown): Promise<Reply> {
  if (!Array.isArray(paths) || paths.length > FETCH_FILES || !paths.every((p) => typeof p === 'string')) {
    throw new FsError('EINVAL', `malformed request: fetch names up to ${FETCH_FILES} paths`);
  }
  // A copy of an older version asks without a limit and takes a missing answer for a deleted
  // file: it gets whole files, as before, rather than lose a big one during a rolling upgrade.
  const most = limit === undefined ? Number.POSITIVE_INFINITY : limit;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 0 || (limit as number) > MAX_RANGE_BYTES)) throw new FsError('EINVAL', 'malformed request: fetch limit');
  const read = await Promise.all(
    (paths as string[]).map((path) => {
      const [repo, repoPath] = splitManifestPath(path);
      return engine.repo(vb, repo).readUpTo(repoPath, most as number);
    }),
  );
  const over: number[] = [];
  read.forEach((r, i) => {
    if (r === 'over') over.push(i);
  });
  return { header: { over }, parts: read.map((r) => (r === 'over' ? null : r)) };
}

/** Up to `length` bytes of one file from `offset` (fewer at its end); ENOENT when it is gone. */
export async function fetchRange(engine: DiskEngine, vb: number, path: unknown, offset: unknown, length: unknown): Promise<Reply> {
  if (typeof path !== 'string') throw new FsError('EINVAL', 'malformed request: path');
  const [repo, repoPath] = splitManifestPath(path);
  return { parts: [await engine.repo(vb, repo).readRange(repoPath, offset, length)] };
}
