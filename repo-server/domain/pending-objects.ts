/**
 * Objects a merge computes before it knows whether it will succeed. They get their ids by
 * hashing (as git would) and stay in memory; only a clean merge writes them, and only those
 * reachable from the result. A conflicted merge therefore leaves no object, index or other
 * state behind, and virtual merge bases never reach storage unless the result reuses them.
 */
import { createHash } from 'node:crypto';
import type { TreeEntry } from 'isomorphic-git';
import { gitOrder } from './contents.js';
import { readBlob, readTree, writeBlob, writeTree } from './objects.js';
import type { RepoContext } from './repo-context.js';
import type { Oid } from './types.js';

function hash(type: 'blob' | 'tree', content: Buffer): Oid {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** git's tree encoding: "<mode> <name>\0<20-byte id>" per entry, in tree order, "40000" for folders. */
export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  return Buffer.concat(
    [...entries].sort(gitOrder).map((e) => Buffer.concat([Buffer.from(`${e.mode.replace(/^0/, '')} ${e.path}\0`), Buffer.from(e.oid, 'hex')])),
  );
}

export class PendingObjects {
  private readonly trees = new Map<Oid, readonly TreeEntry[]>();
  private readonly blobs = new Map<Oid, Buffer>();

  constructor(readonly ctx: RepoContext) {}

  readTree(oid: Oid): Promise<readonly TreeEntry[]> {
    const pending = this.trees.get(oid);
    return pending === undefined ? readTree(this.ctx, oid) : Promise.resolve(pending);
  }

  readBlob(oid: Oid): Promise<Buffer> {
    const pending = this.blobs.get(oid);
    return pending === undefined ? readBlob(this.ctx, oid) : Promise.resolve(pending);
  }

  putBlob(content: Buffer): Oid {
    const oid = hash('blob', content);
    this.blobs.set(oid, content);
    return oid;
  }

  putTree(entries: readonly TreeEntry[]): Oid {
    const oid = hash('tree', encodeTree(entries));
    this.trees.set(oid, entries);
    return oid;
  }

  /** Writes the pending objects reachable from `root` (children first, so no tree names a missing object). */
  async flush(root: Oid): Promise<void> {
    const entries = this.trees.get(root);
    if (entries === undefined) return;
    await Promise.all(
      entries.map(async (e) => {
        if (e.type === 'tree') await this.flush(e.oid);
        else if (this.blobs.has(e.oid)) await this.checked(e.oid, writeBlob(this.ctx, this.blobs.get(e.oid)!));
      }),
    );
    await this.checked(root, writeTree(this.ctx, entries));
  }

  private async checked(expected: Oid, written: Promise<Oid>): Promise<void> {
    const oid = await written;
    if (oid !== expected) throw new Error(`object written as ${oid}, hashed as ${expected}`);
  }
}
