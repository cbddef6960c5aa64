/**
 * Blobs as the lines text-diff.js diffs and merges: bytes decoded as "latin1", one character
 * per byte, so any content round-trips exactly, and git's rule for what is binary.
 */
import { splitText } from './text-diff.js';

export type { LineChange } from './text-diff.js';

export function splitLines(bytes: Uint8Array): string[] {
  return splitText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'));
}

/** git's test: a NUL in the first 8000 bytes makes a file binary. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8000).includes(0);
}
