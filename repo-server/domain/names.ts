/**
 * Validation of every name and path that reaches the domain from outside. Paths must pass at
 * least the checks isomorphic-git applies when it parses a tree (GitTree parseBuffer): a tree
 * entry it would refuse to read would make the whole repository unreadable through it.
 */
import { isValidShortRefName } from '../refs/ref-name.js';

export type Validation<T> = { ok: true; value: T } | { ok: false; detail: string };

const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function validateRepoName(name: string): Validation<string> {
  if (!REPO_NAME.test(name)) return { ok: false, detail: 'repository names are 1 to 100 letters, digits, ".", "_" or "-"' };
  if (name.toLowerCase().endsWith('.git')) return { ok: false, detail: 'repository names must not end in ".git"' };
  // "." and ".." would be path tricks in any storage backend that maps names to folders.
  if (name === '.' || name === '..') return { ok: false, detail: 'repository name "." or ".." is reserved' };
  return { ok: true, value: name };
}

export function isValidRepoName(name: string): boolean {
  return validateRepoName(name).ok;
}

/** A branch or tag short name ("main", "drafts/ch1"), git check-ref-format rules. */
export function validateShortRefName(name: string): Validation<string> {
  return isValidShortRefName(name) ? { ok: true, value: name } : { ok: false, detail: `"${name}" is not a valid branch or tag name` };
}

const MAX_PATH_BYTES = 4096;
// Characters HFS+ ignores when comparing names: ".git" spelled with them is ".git" on a Mac.
const HFS_IGNORABLE = /[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What a segment may turn into in someone's hands: percent-decoded, NFKC-normalised. */
function lookAlikes(segment: string): string[] {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // not percent-encoding: nothing to decode
  }
  return [segment, decoded, segment.normalize('NFKC'), decoded.normalize('NFKC')];
}

// Printable ASCII without "%": decoding and NFKC leave it as it is, so it has no look-alikes.
const PLAIN_ASCII = /^[\x20-\x24\x26-\x7e]*$/;

function segmentProblem(segment: string): string | null {
  if (segment.length === 0) return 'empty path segment';
  if (PLAIN_ASCII.test(segment)) return plainSegmentProblem(segment);
  for (const form of lookAlikes(segment)) {
    const problem = plainSegmentProblem(form);
    if (problem !== null) return form === segment ? problem : `"${segment}" reads as "${form}": ${problem}`;
  }
  return null;
}

function plainSegmentProblem(segment: string): string | null {
  const hfsClean = segment.replace(HFS_IGNORABLE, '');
  if (hfsClean === '.' || hfsClean === '..') return `"${segment}" segment`;
  // NTFS: trailing dots/spaces vanish, "name:stream" addresses an alternate stream of "name".
  const normalized = (hfsClean.split(':')[0] ?? '').toLowerCase().replace(/[. ]+$/, '');
  if (normalized === '.git' || /^\.?git~[1-9]$/.test(normalized)) return `"${segment}" is reserved by git`;
  return null;
}

/**
 * A file or folder path inside a repository: "a/b/c.md". The empty string is the root folder
 * (allowed only where `allowRoot` says so). Returns the segments.
 */
export function validatePath(path: string, allowRoot = false): Validation<string[]> {
  if (path === '') return allowRoot ? { ok: true, value: [] } : { ok: false, detail: 'empty path' };
  if (path.includes('\0')) return { ok: false, detail: 'NUL in path' };
  // CR/LF and other controls end up in headers, logs and terminals; no author needs them.
  if (/[\x01-\x1f\x7f]/.test(path)) return { ok: false, detail: 'control character in path' };
  if (path.includes('\\')) return { ok: false, detail: 'backslash in path' };
  if (LONE_SURROGATE.test(path)) return { ok: false, detail: 'path is not valid UTF-8' };
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return { ok: false, detail: `path longer than ${MAX_PATH_BYTES} bytes` };
  const segments = path.split('/');
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem !== null) return { ok: false, detail: problem };
  }
  return { ok: true, value: segments };
}

/** Paths that arrive as raw bytes (e.g. undecoded URL parts) must be valid UTF-8 first. */
export function decodePath(bytes: Uint8Array): Validation<string> {
  try {
    return { ok: true, value: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { ok: false, detail: 'path is not valid UTF-8' };
  }
}

export function isValidPath(path: string): boolean {
  return validatePath(path).ok;
}
