import { entryNameProblem, isValidShortRefName } from '../git/index.js';
/**
 * Validation of every name and path that reaches the domain from outside. Paths must pass at
 * least the checks isomorphic-git applies when it parses a tree (GitTree parseBuffer): a tree
 * entry it would refuse to read would make the whole repository unreadable through it.
 */

export type Validation<T> = { ok: true; value: T } | { ok: false; detail: string };

export { validateRepoName, isValidRepoName } from '../git/index.js';

/** A branch or tag short name ("main", "drafts/ch1"), git check-ref-format rules. */
export function validateShortRefName(name: string): Validation<string> {
  return isValidShortRefName(name) ? { ok: true, value: name } : { ok: false, detail: `"${name}" is not a valid branch or tag name` };
}

const MAX_PATH_BYTES = 4096;
/** Folders nested deeper than any book needs; also bounds every walk down a path. */
export const MAX_PATH_DEPTH = 256;

/**
 * A file or folder path inside a repository: "a/b/c.md". The empty string is the root folder
 * (allowed only where `allowRoot` says so). Returns the segments.
 */
export function validatePath(path: string, allowRoot = false): Validation<string[]> {
  if (path === '') return allowRoot ? { ok: true, value: [] } : { ok: false, detail: 'empty path' };
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return { ok: false, detail: `path longer than ${MAX_PATH_BYTES} bytes` };
  const segments = path.split('/');
  if (segments.length > MAX_PATH_DEPTH) return { ok: false, detail: `path deeper than ${MAX_PATH_DEPTH} folders` };
  for (const segment of segments) {
    const problem = entryNameProblem(segment);
    if (problem !== null) return { ok: false, detail: problem === 'empty name' ? 'empty path segment' : problem };
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
