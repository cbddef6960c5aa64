/**
 * tar.gz and zip archives of a commit's tree, streamed: trees are listed first (small), blobs
 * are read one at a time as the consumer pulls. Every archive of one commit is byte-identical:
 * all times are the commit's committer time, owners are 0, gzip carries no time, and zip's DOS
 * times are computed from UTC (yazl would use the server's local time zone).
 */
import { PassThrough, pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import { gitOrder } from './contents.js';
import type { ServiceDeps } from './deps.js';
import { readBlob, readTree } from './objects.js';
import { openAt } from './open-at.js';
import type { RepoContext } from './repo-context.js';
import { invalid, type Invalid, type NotFound, type Oid } from './types.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

export interface ArchiveInput {
  /** Branch, tag or commit id; the default branch when absent. */
  ref?: string;
  format: ArchiveFormat;
}

export type ArchiveResult =
  | { ok: true; commit: Oid; filename: string; contentType: string; stream: Readable }
  | NotFound
  | Invalid;

interface ArchiveEntry {
  path: string;
  kind: 'directory' | 'file' | 'symlink';
  mode: number;
  oid: Oid;
}

const CONTENT_TYPES: Record<ArchiveFormat, string> = { 'tar.gz': 'application/gzip', zip: 'application/zip' };

/** Depth-first in git's tree order, each folder before its contents (as git archive). */
async function entries(ctx: RepoContext, tree: Oid, prefix: string, out: ArchiveEntry[]): Promise<ArchiveEntry[]> {
  for (const e of [...(await readTree(ctx, tree))].sort(gitOrder)) {
    const path = `${prefix}${e.path}`;
    if (e.type === 'tree') {
      out.push({ path: `${path}/`, kind: 'directory', mode: 0o755, oid: e.oid });
      await entries(ctx, e.oid, `${path}/`, out);
    } else if (e.mode === '120000') out.push({ path, kind: 'symlink', mode: 0o777, oid: e.oid });
    // Submodules have no content in this repository; git archive leaves them out too.
    else if (e.mode !== '160000') out.push({ path, kind: 'file', mode: e.mode === '100755' ? 0o755 : 0o644, oid: e.oid });
  }
  return out;
}

function tarGz(ctx: RepoContext, list: ArchiveEntry[], mtime: Date): Readable {
  const pack = tar.pack();
  const gzip = createGzip();
  pack.pipe(gzip);
  const fail = (err: unknown) => {
    if (!gzip.destroyed) gzip.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  // A client that goes away stops the walk (the pending entry fails and the loop ends); the
  // pack then reports the consumer's own abort, which must not become an unhandled error.
  gzip.on('close', () => pack.destroy());
  pack.on('error', fail);
  const add = (header: Partial<tar.Header> & Pick<tar.Header, 'name'>, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      const sink = body === undefined ? pack.entry(header, done) : pack.entry(header, body, done);
      // A destroyed pack destroys its entries with the consumer's abort; `done` already has it.
      sink.on('error', () => undefined);
    });
  void (async () => {
    for (const e of list) {
      const base = { name: e.path, mode: e.mode, mtime, uid: 0, gid: 0, uname: '', gname: '' };
      if (e.kind === 'directory') await add({ ...base, type: 'directory' });
      else if (e.kind === 'symlink') await add({ ...base, type: 'symlink', linkname: (await readBlob(ctx, e.oid)).toString('utf8') });
      else await add({ ...base, type: 'file' }, await readBlob(ctx, e.oid));
    }
    pack.finalize();
  })().catch(fail);
  return gzip;
}

/** A Date whose local-time fields are the UTC fields of `at`: yazl writes local fields. */
function dosTime(at: Date): Date {
  return new Date(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds());
}

function zip(ctx: RepoContext, list: ArchiveEntry[], mtime: Date): Readable {
  const archive = new yazl.ZipFile();
  const out = new PassThrough();
  archive.on('error', (err: Error) => out.destroy(err));
  // pipeline, not pipe: a consumer that goes away must not turn into an unhandled error.
  pipeline(archive.outputStream, out, () => undefined);
  const time = dosTime(mtime);
  for (const e of list) {
    if (e.kind === 'directory') {
      archive.addEmptyDirectory(e.path, { mtime: time, mode: 0o40755, forceDosTimestamp: true });
      continue;
    }
    // Info-ZIP stores a symlink as a file whose content is the target, marked by its mode.
    const mode = e.kind === 'symlink' ? 0o120777 : 0o100000 | e.mode;
    archive.addReadStreamLazy(e.path, { mtime: time, mode, forceDosTimestamp: true }, (cb) => {
      readBlob(ctx, e.oid).then(
        (bytes) => cb(null, Readable.from([bytes])),
        (err: unknown) => cb(err, Readable.from([])),
      );
    });
  }
  archive.end();
  return out;
}

export async function archive(deps: ServiceDeps, repo: string, input: ArchiveInput): Promise<ArchiveResult> {
  if (input.format !== 'tar.gz' && input.format !== 'zip') return invalid('format', `unknown archive format ${String(input.format)}`);
  const opened = await openAt(deps, repo, input.ref);
  if (!opened.ok) return opened;
  const { ctx, commit } = opened;
  const top = `${repo}-${commit.id.slice(0, 7)}`;
  const list = [{ path: `${top}/`, kind: 'directory' as const, mode: 0o755, oid: commit.tree }, ...(await entries(ctx, commit.tree, `${top}/`, []))];
  const mtime = new Date(commit.committer.timestamp * 1000);
  const stream = input.format === 'zip' ? zip(ctx, list, mtime) : tarGz(ctx, list, mtime);
  return { ok: true, commit: commit.id, filename: `${top}.${input.format}`, contentType: CONTENT_TYPES[input.format], stream };
}
