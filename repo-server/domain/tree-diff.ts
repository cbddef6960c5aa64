/**
 * Which files differ between two trees, recursively. Equal subtrees (same id) are skipped
 * without being read, so the cost follows the size of the change, not of the tree.
 */
import type { TreeEntry } from '../git/index.js';
import { readTree } from './objects.js';
import type { RepoContext } from './repo-context.js';
import type { EntryMode, Oid } from './types.js';

export interface FileDiff {
  path: string;
  status: 'added' | 'modified' | 'deleted';
  oldBlob: Oid | null;
  newBlob: Oid | null;
  oldMode: EntryMode | null;
  newMode: EntryMode | null;
}

/** Entries keyed as git orders them: a folder as "name/", so "a.md" < "a/" < "a0". */
function keyed(entries: readonly TreeEntry[]): Map<string, TreeEntry> {
  return new Map(entries.map((e) => [e.type === 'tree' ? `${e.path}/` : e.path, e]));
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function walk(ctx: RepoContext, oldTree: Oid | null, newTree: Oid | null, prefix: string, out: FileDiff[]): Promise<void> {
  if (oldTree === newTree) return;
  const [olds, news] = await Promise.all([oldTree === null ? [] : readTree(ctx, oldTree), newTree === null ? [] : readTree(ctx, newTree)]);
  const before = keyed(olds);
  const after = keyed(news);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort(byteOrder);
  for (const key of keys) {
    const o = before.get(key);
    const n = after.get(key);
    const path = prefix + (o ?? n)!.path;
    if ((o ?? n)!.type === 'tree') {
      await walk(ctx, o?.oid ?? null, n?.oid ?? null, `${path}/`, out);
      continue;
    }
    if (o !== undefined && n !== undefined && o.oid === n.oid && o.mode === n.mode) continue;
    out.push({
      path,
      status: o === undefined ? 'added' : n === undefined ? 'deleted' : 'modified',
      oldBlob: o?.oid ?? null,
      newBlob: n?.oid ?? null,
      oldMode: (o?.mode as EntryMode | undefined) ?? null,
      newMode: (n?.mode as EntryMode | undefined) ?? null,
    });
  }
}

export async function diffTrees(ctx: RepoContext, oldTree: Oid | null, newTree: Oid | null): Promise<FileDiff[]> {
  const out: FileDiff[] = [];
  await walk(ctx, oldTree, newTree, '', out);
  return out;
}
