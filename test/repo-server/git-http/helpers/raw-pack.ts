/**
 * Objects and packs built byte by byte, for pushes git itself would never send: any type, any
 * header, any content, and entries whose inflated size is far larger than the pack.
 */
import { createHash } from 'node:crypto';
import { createDeflate, deflateSync } from 'node:zlib';

export type RawType = 'commit' | 'tree' | 'blob' | 'tag';
const CODE: Record<RawType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

export interface RawObject {
  type: RawType;
  body: Buffer;
  oid: string;
}

export function rawObject(type: RawType, body: Buffer | string): RawObject {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const oid = createHash('sha1').update(`${type} ${bytes.length}\0`).update(bytes).digest('hex');
  return { type, body: bytes, oid };
}

/** A tree from entries taken as given: no sorting, no checks (mode, name, id). */
export function rawTree(entries: { mode: string; name: string | Buffer; oid: string }[]): RawObject {
  return rawObject(
    'tree',
    Buffer.concat(entries.flatMap((e) => [Buffer.from(`${e.mode} `), typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name, Buffer.from([0]), Buffer.from(e.oid, 'hex')])),
  );
}

export const IDENT = 'A U Thor <author@example.test> 1700000000 +0000';

export function rawCommit(tree: string, parents: string[] = [], { author = IDENT, committer = IDENT, message = 'message\n' } = {}): RawObject {
  return rawObject('commit', `tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}author ${author}\ncommitter ${committer}\n\n${message}`);
}

export function rawTag(object: string, type: string, name: string): RawObject {
  return rawObject('tag', `object ${object}\ntype ${type}\ntag ${name}\ntagger ${IDENT}\n\nrelease\n`);
}

/** The type-and-size varint that starts a pack entry; `size` may lie. */
export function entryHeader(type: RawType, size: number): Buffer {
  const bytes: number[] = [];
  let rest = Math.floor(size / 16);
  bytes.push((CODE[type] << 4) | (size & 0x0f) | (rest > 0 ? 0x80 : 0));
  while (rest > 0) {
    const b = rest & 0x7f;
    rest = Math.floor(rest / 128);
    bytes.push(b | (rest > 0 ? 0x80 : 0));
  }
  return Buffer.from(bytes);
}

export function entryOf(obj: RawObject): Buffer {
  return Buffer.concat([entryHeader(obj.type, obj.body.length), deflateSync(obj.body)]);
}

const zerosMade = new Map<number, Promise<Buffer>>();

/** A deflate stream of `size` zero bytes, made without ever holding them (about size/1000 bytes), once per size. */
export function deflatedZeros(size: number): Promise<Buffer> {
  let made = zerosMade.get(size);
  if (made === undefined) {
    made = makeDeflatedZeros(size);
    zerosMade.set(size, made);
  }
  return made;
}

async function makeDeflatedZeros(size: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) {
    if (!deflate.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

/** A version-2 pack of the given entries with a correct count and trailer. */
export function packOfEntries(entries: Buffer[]): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'ascii');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(entries.length, 8);
  const body = Buffer.concat([head, ...entries]);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

export function packOf(objects: RawObject[]): Buffer {
  return packOfEntries(objects.map(entryOf));
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/**
 * A REF_DELTA entry that rebuilds `target` from a base of `baseSize` bytes named by id (inserts
 * only: valid whatever the base holds). With the base left out of the pack, it is a thin pack.
 */
export function refDeltaEntry(baseOid: string, baseSize: number, target: Buffer): Buffer {
  const ops: Buffer[] = [Buffer.from([...varint(baseSize), ...varint(target.length)])];
  for (let at = 0; at < target.length; at += 127) {
    const part = target.subarray(at, at + 127);
    ops.push(Buffer.from([part.length]), part);
  }
  const delta = Buffer.concat(ops);
  const header = entryHeader('blob', delta.length);
  header[0] = ((header[0] as number) & 0x8f) | (7 << 4);
  return Buffer.concat([header, Buffer.from(baseOid, 'hex'), deflateSync(delta)]);
}
