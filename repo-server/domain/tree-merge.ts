/**
 * Three-way merge of trees, our own rather than isomorphic-git's `merge`, because that one
 * (docs/architecture.md, "isomorphic-git"): merges binary files as text and corrupts them, throws on criss-cross histories,
 * writes every tree of the result (and, with abortOnConflict:false, a conflicted index into the
 * gitdir), and takes its conflict list from a walk that stops describing paths under a
 * conflicted folder. Here: subtrees equal on two sides are decided by id without being read;
 * text files both sides changed are merged line by line (diff3); binary files, symlinks and
 * submodules changed on both sides, modify/delete, add/add and file/folder clashes are
 * conflicts; every conflicting path is reported; nothing is written (see PendingObjects).
 */
import type { TreeEntry } from '../git/index.js';
import { isBinary, splitLines } from './line-diff.js';
import { mapLimit } from '../../fs-service/index.js';
import { merge3 } from './text-diff.js';
import type { PendingObjects } from './pending-objects.js';
import type { Oid } from './types.js';

export type ConflictKind = 'content' | 'add-add' | 'binary' | 'modify-delete' | 'file-folder' | 'mode' | 'symlink' | 'submodule';

export interface MergeConflict {
  path: string;
  kind: ConflictKind;
}

export interface TreeMergeResult {
  /** The merged tree (meaningful only when there are no conflicts). */
  tree: Oid;
  conflicts: MergeConflict[];
}

type Entry = TreeEntry | undefined;

function same(a: Entry, b: Entry): boolean {
  return a?.oid === b?.oid && a?.mode === b?.mode;
}

function isRegular(e: Entry): e is TreeEntry {
  return e !== undefined && (e.mode === '100644' || e.mode === '100755');
}

class TreeMerge {
  readonly conflicts: MergeConflict[] = [];

  constructor(private readonly objects: PendingObjects) {}

  private conflict(path: string, kind: ConflictKind): null {
    this.conflicts.push({ path, kind });
    return null;
  }

  async folder(base: Oid | null, ours: Oid | null, theirs: Oid | null, prefix: string): Promise<Oid | null> {
    if (ours === theirs) return ours;
    if (base === ours) return theirs;
    if (base === theirs) return ours;
    // Keyed by name and kind ("x" vs "x/"): a file deleted on both sides while one side adds a
    // folder of the same name is no clash; only what survives on both kinds is.
    const load = async (oid: Oid | null) => new Map((oid === null ? [] : await this.objects.readTree(oid)).map((e) => [e.type === 'tree' ? `${e.path}/` : e.path, e]));
    const [b, o, t] = await Promise.all([load(base), load(ours), load(theirs)]);
    const keys = [...new Set([...b.keys(), ...o.keys(), ...t.keys()])];
    const merged = await mapLimit(keys, (key) => this.entry(key.replace(/\/$/, ''), b.get(key), o.get(key), t.get(key), prefix));
    const entries = merged.filter((e): e is TreeEntry => e !== null);
    const seen = new Set<string>();
    const clashes = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.path)) clashes.add(e.path);
      seen.add(e.path);
    }
    for (const name of clashes) this.conflict(`${prefix}${name}`, 'file-folder');
    const kept = entries.filter((e) => !clashes.has(e.path));
    return kept.length === 0 ? null : this.objects.putTree(kept);
  }

  private async entry(name: string, b: Entry, o: Entry, t: Entry, prefix: string): Promise<TreeEntry | null> {
    const path = `${prefix}${name}`;
    if (same(o, t)) return o ?? null;
    if (same(b, o)) return t ?? null;
    if (same(b, t)) return o ?? null;
    // Both sides changed this name, differently.
    if (o?.type === 'tree' && t?.type === 'tree') {
      const tree = await this.folder(b?.type === 'tree' ? b.oid : null, o.oid, t.oid, `${path}/`);
      return tree === null ? null : { mode: '040000', path: name, oid: tree, type: 'tree' };
    }
    if (o === undefined || t === undefined) return this.conflict(path, 'modify-delete');
    if (o.mode === '160000' || t.mode === '160000') return this.conflict(path, 'submodule');
    if (o.mode === '120000' || t.mode === '120000') return this.conflict(path, 'symlink');
    const mode = o.mode === t.mode ? o.mode : b?.mode === o.mode ? t.mode : b?.mode === t.mode ? o.mode : null;
    if (mode === null) return this.conflict(path, 'mode');
    const oid = await this.content(path, isRegular(b) ? b.oid : null, o.oid, t.oid);
    return oid === null ? null : { mode, path: name, oid, type: 'blob' };
  }

  private async content(path: string, base: Oid | null, ours: Oid, theirs: Oid): Promise<Oid | null> {
    if (ours === theirs || base === theirs) return ours;
    if (base === ours) return theirs;
    const [b, o, t] = await Promise.all([base === null ? Buffer.alloc(0) : this.objects.readBlob(base), this.objects.readBlob(ours), this.objects.readBlob(theirs)]);
    // A line merge of binary data "succeeds" and yields garbage: both changed means conflict.
    if (isBinary(b) || isBinary(o) || isBinary(t)) return this.conflict(path, 'binary');
    const merged = merge3(splitLines(b), splitLines(o), splitLines(t));
    if (!merged.clean) return this.conflict(path, base === null ? 'add-add' : 'content');
    return this.objects.putBlob(Buffer.from(merged.lines.join(''), 'latin1'));
  }
}

export async function mergeTrees(objects: PendingObjects, base: Oid | null, ours: Oid | null, theirs: Oid | null): Promise<TreeMergeResult> {
  const merge = new TreeMerge(objects);
  const tree = (await merge.folder(base, ours, theirs, '')) ?? objects.putTree([]);
  const conflicts = merge.conflicts.sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)));
  return { tree, conflicts };
}
