/**
 * Builds git objects and a version-2 pack with Node's zlib (isomorphic-git deflates through
 * CompressionStream, ten times slower), for the session's initial import. The objects are the
 * canonical git encodings, so their ids equal what isomorphic-git's writeBlob/writeTree/
 * writeCommit produce.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export type ObjectType = 'blob' | 'tree' | 'commit';

export interface GitObject {
  type: ObjectType;
  body: Buffer;
  oid: string;
}

export function gitObject(type: ObjectType, body: Buffer): GitObject {
  const oid = createHash('sha1')
    .update(`${type} ${body.length}\0`)
    .update(body)
    .digest('hex');
  return { type, body, oid };
}

export interface TreeItem {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree';
}

export function treeObject(entries: TreeItem[]): GitObject {
  // git sorts a folder as if its name ended with "/".
  const key = (e: TreeItem) => (e.type === 'tree' ? `${e.path}/` : e.path);
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const body = Buffer.concat(sorted.flatMap((e) => [Buffer.from(`${e.mode === '040000' ? '40000' : e.mode} ${e.path}\0`), Buffer.from(e.oid, 'hex')]));
  return gitObject('tree', body);
}

export interface Signature {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

function formatSignature(s: Signature): string {
  const minutes = -s.timezoneOffset;
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${s.name} <${s.email}> ${s.timestamp} ${zone}`;
}

export function commitObject(c: { tree: string; parents: string[]; author: Signature; committer: Signature; message: string }): GitObject {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${formatSignature(c.author)}`, `committer ${formatSignature(c.committer)}`];
  return gitObject('commit', Buffer.from(`${lines.join('\n')}\n\n${c.message}`));
}

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

/** A pack with every object stored whole; returns the bytes and git's file name for it. */
export function buildPack(objects: GitObject[]): { pack: Buffer; filename: string } {
  const header = Buffer.alloc(12);
  header.write('PACK', 0);
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const chunks: Buffer[] = [header];
  for (const object of objects) {
    let size = object.body.length;
    const bytes = [(TYPE_CODE[object.type] << 4) | (size & 0x0f)];
    size >>= 4;
    while (size > 0) {
      bytes[bytes.length - 1]! |= 0x80;
      bytes.push(size & 0x7f);
      size >>= 7;
    }
    chunks.push(Buffer.from(bytes), deflateSync(object.body));
  }
  const body = Buffer.concat(chunks);
  const trailer = createHash('sha1').update(body).digest();
  return { pack: Buffer.concat([body, trailer]), filename: `pack-${trailer.toString('hex')}.pack` };
}
