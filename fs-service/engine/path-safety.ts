import { isImmutablePath } from './path-kinds.js';
import { FsError } from '../contract.js';

/** Limits of Linux (NAME_MAX, PATH_MAX); checked before any I/O so a refusal changes nothing. */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4096;

const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * A repository name becomes one directory under a vbucket, so it must be a single harmless
 * segment. The character set is the one the HTTP surface allows.
 */
export function assertRepoName(name: unknown): string {
  if (typeof name !== 'string' || !REPO_NAME.test(name) || name === '.' || name === '..') {
    throw new FsError('EINVAL', 'invalid repository name', typeof name === 'string' ? name : String(name));
  }
  return name;
}

function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/** Refuses a segment that is, or could be turned by a decoder into, a traversal. */
function assertSegment(segment: string, original: string): void {
  if (segment === '.' || segment === '..') throw new FsError('EINVAL', 'path has a "." or ".." segment', original);
  if (Buffer.byteLength(segment) > MAX_NAME_BYTES) throw new FsError('EINVAL', `name longer than ${MAX_NAME_BYTES} bytes`, original);
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (isControl(code)) throw new FsError('EINVAL', 'path contains a control character or NUL', original);
    if (code === 0x5c) throw new FsError('EINVAL', 'path contains a backslash', original);
    // A lone surrogate has no UTF-8 form: Node would write U+FFFD, so two names would share a file.
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = segment.charCodeAt(i + 1);
      if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) throw new FsError('EINVAL', 'path contains a lone surrogate', original);
      i++;
    }
  }
  // Layers above may URL-decode or Unicode-normalize a name; refuse what would become a traversal then.
  if (segment.includes('%')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      decoded = segment;
    }
    if (decoded !== segment) assertDecodedHarmless(decoded, original);
  }
  const folded = segment.normalize('NFKC');
  if (folded !== segment) assertDecodedHarmless(folded, original);
}

function assertDecodedHarmless(decoded: string, original: string): void {
  if (decoded === '.' || decoded === '..' || /[/\\\0]/.test(decoded)) {
    throw new FsError('EINVAL', 'path has an encoded traversal', original);
  }
}

/**
 * Parses a repository path ("/objects/ab/cd") into its segments ([] is the repository root).
 * Paths are absolute from the repository root; repeated and trailing slashes collapse as POSIX
 * does (isomorphic-git's readdirDeep produces "//x" under gitdir "/").
 */
export function parseRepoPath(path: unknown): string[] {
  if (typeof path !== 'string') throw new FsError('EINVAL', `path must be a string, got ${path === null ? 'null' : typeof path}`);
  if (!path.startsWith('/')) throw new FsError('EINVAL', 'path must be absolute from the repository root', path);
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw new FsError('EINVAL', `path longer than ${MAX_PATH_BYTES} bytes`, path.slice(0, 64) + '...');
  const segments = path.split('/').filter((s) => s.length > 0);
  for (const segment of segments) assertSegment(segment, path);
  return segments;
}

// Already canonical and plainly safe: ASCII names without "%", no "." or ".." segment, no "//".
const PLAIN_CANONICAL = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9_.-]{1,255})+$/;

/** The canonical spelling of a repository path ("/" for the root). */
export function canonicalPath(path: unknown): string {
  if (typeof path === 'string' && path.length <= MAX_PATH_BYTES && PLAIN_CANONICAL.test(path)) return path;
  return '/' + parseRepoPath(path).join('/');
}

/**
 * A symlink target is kept only if it is relative and stays inside the repository when resolved
 * from the link's folder; an absolute target would be read by the OS as a host path.
 */
export function assertSymlinkTarget(target: unknown, linkSegments: string[]): string {
  if (typeof target !== 'string' || target.length === 0) throw new FsError('EINVAL', 'symlink target must be a non-empty string');
  if (Buffer.byteLength(target) > MAX_PATH_BYTES) throw new FsError('EINVAL', 'symlink target too long');
  if (target.startsWith('/')) throw new FsError('EACCES', 'absolute symlink targets point outside the repository', target);
  for (const segment of target.split('/')) {
    if (segment === '..' || segment === '.' || segment === '') continue;
    assertSegment(segment, target);
  }
  // posix.join clamps ".." at "/", which would hide an escape, so walk the depth by hand.
  let depth = linkSegments.length - 1;
  for (const segment of target.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '.' && segment !== '') depth++;
    if (depth < 0) throw new FsError('EACCES', 'symlink target points outside the repository', target);
  }
  return target;
}

/**
 * One batch may not hold a path and a path below it ("/refs/heads/a", "/refs/heads/a/b"): one of
 * them would have to be a file and a folder at once, and the second write would fail after the first.
 */
export function assertNoPathBelowAnother(paths: readonly string[]): void {
  const all = new Set(paths);
  for (const path of paths) {
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      const above = path.slice(0, cut);
      if (all.has(above)) throw new FsError('EINVAL', `"${path}" is below "${above}" in the same batch`, path);
    }
  }
}

/** Largest part one readRange may ask for: a part travels in one frame. */
export const MAX_RANGE_BYTES = 16 * 1024 * 1024;

export function assertRange(offset: unknown, length: unknown): void {
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new FsError('EINVAL', 'offset must be a non-negative integer');
  if (!Number.isSafeInteger(length) || (length as number) < 0 || (length as number) > MAX_RANGE_BYTES) {
    throw new FsError('EINVAL', `length must be an integer from 0 to ${MAX_RANGE_BYTES}`);
  }
}

/**
 * Largest file writePart may assemble: twice the 2 GiB push limit git hosts use, and low enough
 * that a hostile offset cannot make a sparse file of petabytes that every copy must then hold.
 */
export const MAX_ASSEMBLED_BYTES = 4 * 1024 * 1024 * 1024;

/**
 * Checks a part before any I/O and answers its canonical path. A part travels in one frame, so it
 * is bounded like a range; the path must be one no reader takes for whole (an immutable path is
 * judged by its canonical spelling, so "//" cannot smuggle a part into a pack).
 */
export function assertPart(path: unknown, offset: unknown, data: unknown): string {
  const canonical = canonicalFilePath(path);
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw new FsError('EINVAL', 'offset must be a non-negative integer', canonical);
  if (!(data instanceof Uint8Array)) throw new FsError('EINVAL', 'a part must be bytes', canonical);
  if (data.length > MAX_RANGE_BYTES) throw new FsError('EINVAL', `a part may hold at most ${MAX_RANGE_BYTES} bytes`, canonical);
  if ((offset as number) + data.length > MAX_ASSEMBLED_BYTES) throw new FsError('EINVAL', `a file assembled in parts may hold at most ${MAX_ASSEMBLED_BYTES} bytes`, canonical);
  if (isImmutablePath(canonical)) throw new FsError('EINVAL', 'an immutable file is written whole, never in parts', canonical);
  return canonical;
}

/**
 * Checks a rename before any I/O and answers both canonical paths. The source is a file
 * assembled in parts, so never an immutable one (readers trust those to stay).
 */
export function assertRename(from: unknown, to: unknown): { from: string; to: string } {
  const source = canonicalFilePath(from);
  const target = canonicalFilePath(to);
  if (isImmutablePath(source)) throw new FsError('EINVAL', 'an immutable file is never renamed', source);
  if (source === target) throw new FsError('EINVAL', 'a file cannot be renamed onto itself', source);
  return { from: source, to: target };
}

/** The canonical spelling of a path that must name a file (the root is a folder: EISDIR). */
export function canonicalFilePath(path: unknown): string {
  const canonical = canonicalPath(path);
  if (canonical === '/') throw new FsError('EISDIR', 'illegal operation on a directory', '/');
  return canonical;
}
