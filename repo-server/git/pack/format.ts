import { OBJ_OFS_DELTA, OBJ_REF_DELTA } from '../object.js';

/** "PACK", version 2, object count: the 12 bytes every pack starts with. */
export function packHeader(count: number): Buffer {
  const h = Buffer.alloc(12);
  h.write('PACK', 0, 'ascii');
  h.writeUInt32BE(2, 4);
  h.writeUInt32BE(count, 8);
  return h;
}

export interface PackHeaderInfo {
  version: number;
  count: number;
}

export function readPackHeader(buf: Buffer): PackHeaderInfo | null {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'PACK') return null;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  return { version, count: buf.readUInt32BE(8) };
}

/** An entry header: type code, inflated size, and for deltas where the base is. */
export interface EntryHeader {
  typeCode: number;
  size: number;
  /** Offset of the compressed data. */
  dataStart: number;
  /** OFS_DELTA: absolute offset of the base entry. */
  baseOffset?: number;
  /** REF_DELTA: id of the base object. */
  baseOid?: string;
}

/**
 * Parses the entry header at `offset` of `buf`; null when it runs past `limit` or is malformed.
 * `position` is where buf[offset] sits in the pack (when `buf` holds only part of it): the
 * returned offsets are pack offsets.
 */
export function readEntryHeader(buf: Buffer, offset: number, limit = buf.length, position = offset): EntryHeader | null {
  const shiftBy = position - offset;
  const header = parseEntryHeader(buf, offset, limit, position);
  if (header === null || shiftBy === 0) return header;
  return { ...header, dataStart: header.dataStart + shiftBy };
}

function parseEntryHeader(buf: Buffer, offset: number, limit: number, position: number): EntryHeader | null {
  let pos = offset;
  if (pos >= limit) return null;
  let byte = buf[pos++] as number;
  const typeCode = (byte >> 4) & 7;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    if (pos >= limit || shift > 56) return null;
    byte = buf[pos++] as number;
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (typeCode === OBJ_OFS_DELTA) {
    if (pos >= limit) return null;
    byte = buf[pos++] as number;
    let rel = byte & 0x7f;
    while (byte & 0x80) {
      if (pos >= limit) return null;
      byte = buf[pos++] as number;
      rel = (rel + 1) * 128 + (byte & 0x7f);
    }
    if (rel <= 0 || rel > position) return null;
    return { typeCode, size, dataStart: pos, baseOffset: position - rel };
  }
  if (typeCode === OBJ_REF_DELTA) {
    if (pos + 20 > limit) return null;
    return { typeCode, size, dataStart: pos + 20, baseOid: buf.toString('hex', pos, pos + 20) };
  }
  if (typeCode === 0 || typeCode === 5) return null;
  return { typeCode, size, dataStart: pos };
}

/** The type-and-size varint that starts every entry. */
export function encodeTypeAndSize(typeCode: number, size: number): Buffer {
  const bytes: number[] = [];
  let rest = Math.floor(size / 16);
  let first = (typeCode << 4) | (size & 0x0f);
  if (rest > 0) first |= 0x80;
  bytes.push(first);
  while (rest > 0) {
    let b = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest > 0) b |= 0x80;
    bytes.push(b);
  }
  return Buffer.from(bytes);
}

/** The OFS_DELTA distance encoding (big-endian base-128 with the +1 bias per continuation). */
export function encodeOfsDistance(distance: number): Buffer {
  const bytes: number[] = [distance & 0x7f];
  let rest = Math.floor(distance / 128);
  while (rest > 0) {
    rest -= 1;
    bytes.unshift(0x80 | (rest & 0x7f));
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}
