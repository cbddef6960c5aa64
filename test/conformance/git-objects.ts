import { createHash } from 'node:crypto';

/** Just enough of git's formats to check the server from outside without a git library. */

/** The object id git gives these bytes as a blob (what `git hash-object` prints). */
export function gitBlobId(bytes: Buffer | string): string {
  const body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
}

/** One pkt-line: four hex digits of length (itself included), then the payload. */
export function pktLine(payload: string): Buffer {
  const bytes = Buffer.from(payload);
  return Buffer.concat([Buffer.from((bytes.length + 4).toString(16).padStart(4, '0')), bytes]);
}

export const FLUSH = Buffer.from('0000');

/** A pack with no objects: valid for ref updates that only point at objects the server has. */
export function emptyPack(): Buffer {
  const header = Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 0]);
  return Buffer.concat([header, createHash('sha1').update(header).digest()]);
}

/** Payloads of the pkt-lines in a buffer (flushes skipped), for reading report-status. */
export function pktPayloads(data: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at + 4 <= data.length) {
    const len = Number.parseInt(data.subarray(at, at + 4).toString('latin1'), 16);
    if (Number.isNaN(len)) break;
    if (len < 4) {
      at += 4;
      continue;
    }
    out.push(data.subarray(at + 4, at + len).toString('latin1'));
    at += len;
  }
  return out;
}
