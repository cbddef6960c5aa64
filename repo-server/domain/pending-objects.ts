/**
 * Objects computed before they are needed on storage. Their ids come from hashing exactly what
 * git (and isomorphic-git's writers) would store, so a whole chain of trees and commits can be
 * planned in memory and then written in parallel, in one round, just before the ref moves.
 * Merges use the same: a conflicted merge never writes anything.
 *
 * Every write is checked: trees and commits pass git's object checks (git/object-checks.ts), and
 * the id isomorphic-git returns must be the id we hashed.
 */
import { checkObject } from '../git/index.js';
import { createHash } from 'node:crypto';
import type { TreeEntry } from '../git/index.js';
import { gitOrder } from './contents.js';
import { readBlob, readTree, writeBlob, writeCommit, writeTree, type NewCommit } from './objects.js';
import { mapLimit } from '../../fs-service/index.js';
import type { RepoContext } from './repo-context.js';
import type { CommitDetails, Oid, Person } from './types.js';

function hash(type: 'blob' | 'tree' | 'commit', content: Buffer): Oid {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

export function blobId(content: Buffer): Oid {
  return hash('blob', content);
}

/** git's tree encoding: "<mode> <name>\0<20-byte id>" per entry, in tree order, "40000" for folders. */
export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  return Buffer.concat(
    [...entries].sort(gitOrder).map((e) => Buffer.concat([Buffer.from(`${e.mode.replace(/^0/, '')} ${e.path}\0`), Buffer.from(e.oid, 'hex')])),
  );
}

/** "+0200" for a timezoneOffset of -120 (isomorphic-git's sign convention, that of Date). */
function zone(offset: number): string {
  const minutes = Math.abs(offset);
  const sign = offset > 0 ? '-' : '+';
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
}

function signature(p: Person): string {
  return `${p.name} <${p.email}> ${p.timestamp} ${zone(p.timezoneOffset)}`;
}

/** The commit object as isomorphic-git's writeCommit renders it (message already normalized). */
export function encodeCommit(c: NewCommit): Buffer {
  const parents = c.parents.map((p) => `parent ${p}\n`).join('');
  return Buffer.from(`tree ${c.tree}\n${parents}author ${signature(c.author)}\ncommitter ${signature(c.committer)}\n\n${c.message}`, 'utf8');
}

type Pending = { type: 'blob'; content: Buffer } | { type: 'tree'; entries: readonly TreeEntry[] } | { type: 'commit'; commit: NewCommit };

export class PendingObjects {
  private readonly pending = new Map<Oid, Pending>();

  constructor(readonly ctx: RepoContext) {}

  readTree(oid: Oid): Promise<readonly TreeEntry[]> {
    const p = this.pending.get(oid);
    return p?.type === 'tree' ? Promise.resolve(p.entries) : readTree(this.ctx, oid);
  }

  readBlob(oid: Oid): Promise<Buffer> {
    const p = this.pending.get(oid);
    return p?.type === 'blob' ? Promise.resolve(p.content) : readBlob(this.ctx, oid);
  }

  putBlob(content: Buffer): Oid {
    const oid = hash('blob', content);
    this.pending.set(oid, { type: 'blob', content });
    return oid;
  }

  putTree(entries: readonly TreeEntry[]): Oid {
    const oid = hash('tree', encodeTree(entries));
    this.pending.set(oid, { type: 'tree', entries });
    return oid;
  }

  putCommit(commit: NewCommit): CommitDetails {
    const id = hash('commit', encodeCommit(commit));
    this.pending.set(id, { type: 'commit', commit });
    return { id, ...commit, parents: [...commit.parents] };
  }

  /** Writes, all at once, the pending objects reachable from `roots` (each at most once). */
  async flush(roots: readonly Oid[]): Promise<void> {
    const chosen = new Set<Oid>();
    const visit = (oid: Oid): void => {
      const p = this.pending.get(oid);
      if (p === undefined || chosen.has(oid)) return;
      chosen.add(oid);
      if (p.type === 'tree') p.entries.forEach((e) => visit(e.oid));
      if (p.type === 'commit') visit(p.commit.tree);
    };
    roots.forEach(visit);
    await mapLimit([...chosen], (oid) => this.write(oid, this.pending.get(oid)!));
  }

  private async write(expected: Oid, p: Pending): Promise<void> {
    // The checks a push passes hold for what the API writes too; inputs are validated before, so
    // a failure here is a bug, never stored.
    if (p.type !== 'blob') {
      const checked = checkObject(p.type, p.type === 'tree' ? encodeTree(p.entries) : encodeCommit(p.commit));
      if (!checked.ok) throw new Error(`refusing to write ${p.type} ${expected}: ${checked.problem}`);
    }
    const oid =
      p.type === 'blob' ? await writeBlob(this.ctx, p.content) : p.type === 'tree' ? await writeTree(this.ctx, p.entries) : (await writeCommit(this.ctx, p.commit)).id;
    if (oid !== expected) throw new Error(`${p.type} written as ${oid}, hashed as ${expected}`);
  }
}
