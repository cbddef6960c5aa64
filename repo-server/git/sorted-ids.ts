/**
 * Tables of 20-byte object ids sorted in byte order, read in place (pack indexes, commit-graph
 * layers): where an id is, or where ids not below it start.
 */

/** Index of `key` among the ids at `at` (20 bytes each), searched between lo and hi; -1 when absent. */
export function findId(buf: Buffer, at: number, lo: number, hi: number, key: Buffer): number {
  const first = lowerBound(buf, at, lo, hi, key);
  return first < hi && buf.compare(key, 0, 20, at + first * 20, at + first * 20 + 20) === 0 ? first : -1;
}

/** The first index between lo and hi whose id is not below `key`. */
export function lowerBound(buf: Buffer, at: number, lo: number, hi: number, key: Buffer): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // How the id at `mid` compares with the key: below it, the answer is further on.
    if (buf.compare(key, 0, 20, at + mid * 20, at + mid * 20 + 20) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
