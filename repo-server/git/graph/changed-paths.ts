/**
 * Changed-path filters, as git's commit-graph keeps them (`git commit-graph write --changed-paths`):
 * per commit, a Bloom filter over every path its tree changes against its first parent, with each
 * path's folders too ("a/b/c" adds "a/b" and "a"), so a path history skips, without reading a
 * tree, every commit whose filter says "not here". A filter can say "maybe" wrongly (about one in a
 * hundred queries), never "no" wrongly. A commit that changes more paths than MAX_PATHS gets no
 * filter: every query answers maybe, as git does.
 */
import { createHash } from 'node:crypto';

/** More changed paths than this: no filter (git's limit). */
export const MAX_PATHS = 512;
const BITS_PER_PATH = 10;
const HASHES = 7;

/** A path's two base hashes; every probe of every filter is derived from them. */
export interface PathKey {
  h1: number;
  h2: number;
}

export function pathKey(path: string): PathKey {
  const digest = createHash('sha1').update(path).digest();
  return { h1: digest.readUInt32LE(0), h2: digest.readUInt32LE(4) | 1 };
}

function bitsOf(filter: Buffer, key: PathKey): number[] {
  const bits = filter.length * 8;
  const out: number[] = [];
  for (let i = 0; i < HASHES; i++) out.push(((key.h1 + Math.imul(i, key.h2)) >>> 0) % bits);
  return out;
}

/** Every changed path with its folders, once each. */
export function withFolders(paths: Iterable<string>): Set<string> {
  const all = new Set<string>();
  for (const path of paths) {
    all.add(path);
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) all.add(path.slice(0, cut));
  }
  return all;
}

/** The filter of a commit's changed paths (folders included by the caller), or null: too many to filter. */
export function buildFilter(paths: ReadonlySet<string>): Buffer | null {
  if (paths.size > MAX_PATHS) return null;
  const filter = Buffer.alloc(Math.max(1, Math.ceil((paths.size * BITS_PER_PATH) / 8)));
  for (const path of paths) for (const bit of bitsOf(filter, pathKey(path))) filter[bit >> 3] = (filter[bit >> 3] as number) | (1 << (bit & 7));
  return filter;
}

/** False only when the commit certainly did not change the path; null filter: maybe. */
export function mayHaveChanged(filter: Buffer | null, key: PathKey): boolean {
  if (filter === null) return true;
  for (const bit of bitsOf(filter, key)) if (((filter[bit >> 3] as number) & (1 << (bit & 7))) === 0) return false;
  return true;
}
