import { err, ok, type Result } from '../result.js';

/** Larger than any Buffer Node can allocate: a header that claims more is corrupt. */
const MAX_SAFE_BUFFER = 2 ** 32;

function readVarint(delta: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = delta[pos++] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80 && pos < delta.length);
  return [value, pos];
}

/** The size of the object a delta produces, from its header alone. */
export function deltaResultSize(delta: Buffer): number {
  const [, pos] = readVarint(delta, 0);
  return readVarint(delta, pos)[0];
}

/**
 * Applies a git delta (gitformat-pack "Deltified representation"): a header with base and
 * result sizes, then copy-from-base and insert instructions. Sizes are checked so a corrupt
 * delta is an error value, never a silently wrong object. A result larger than `maxResultBytes`
 * is refused before anything is allocated for it.
 */
export function applyDelta(base: Buffer, delta: Buffer, maxResultBytes = MAX_SAFE_BUFFER): Result<Buffer> {
  let [baseSize, pos] = readVarint(delta, 0);
  if (baseSize !== base.length) return err(`delta base size ${baseSize} does not match base of ${base.length} bytes`);
  let resultSize: number;
  [resultSize, pos] = readVarint(delta, pos);
  if (resultSize > maxResultBytes) return err(`delta result of ${resultSize} bytes exceeds the limit of ${maxResultBytes} bytes per object`);
  const out = Buffer.allocUnsafe(resultSize);
  let outPos = 0;
  while (pos < delta.length) {
    const op = delta[pos++] as number;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += (delta[pos++] as number) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) size += (delta[pos++] as number) * 2 ** (8 * i);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || outPos + size > resultSize) return err('delta copy out of bounds');
      base.copy(out, outPos, offset, offset + size);
      outPos += size;
    } else if (op > 0) {
      if (pos + op > delta.length || outPos + op > resultSize) return err('delta insert out of bounds');
      delta.copy(out, outPos, pos, pos + op);
      pos += op;
      outPos += op;
    } else {
      return err('delta opcode 0 is reserved');
    }
  }
  if (outPos !== resultSize) return err(`delta produced ${outPos} bytes, header says ${resultSize}`);
  return ok(out);
}
