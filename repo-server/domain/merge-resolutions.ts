/**
 * What a conflicted merge needs to be finished by a person: each conflicting path as it is on
 * the common base, ours and theirs, with text files split into the regions of their three-way
 * merge (text-diff.js, the same rule that found the conflict); and the author's resolutions
 * applied to the merged tree, one for every conflicting path and for nothing else.
 */
import type { TreeEntry } from '../git/index.js';
import { isBinary, splitLines } from './line-diff.js';
import { mapLimit } from '../../fs-service/index.js';
import type { PendingObjects } from './pending-objects.js';
import { editTree, type Edit } from './tree-edit.js';
import { mergeRegions, type MergeRegion } from './text-diff.js';
import type { MergeConflict } from './tree-merge.js';
import { invalid, type Invalid, type Oid } from './types.js';

/** How the author settles one conflicting path: one side as it is, new content, or no file. */
export type Resolution = { take: 'ours' | 'theirs' } | { content: Buffer } | { delete: true };

export interface ConflictSide {
  id: Oid;
  mode: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface ConflictDetail extends MergeConflict {
  base: ConflictSide | null;
  ours: ConflictSide | null;
  theirs: ConflictSide | null;
  /**
   * The three-way regions of a text file, lines decoded as UTF-8 with their "\n"; null when the
   * path is not three texts (binary, not UTF-8, over MAX_TEXT_BYTES, a folder, a deletion).
   */
  regions: MergeRegion[] | null;
}

export type UnresolvedConflicts = { ok: false; reason: 'conflict'; cause: 'unresolved'; conflicts: MergeConflict[]; mergeBases: Oid[]; detail: string };

/** Larger files are resolved with git: their regions would not fit a browser's screen anyway. */
export const MAX_TEXT_BYTES = 1024 * 1024;
/** Past this many conflicting files, the rest are described without regions (the answer stays bounded). */
export const MAX_TEXT_CONFLICTS = 100;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The three trees a merge combined (base null: no common ancestor). */
export interface MergeTrees {
  base: Oid | null;
  ours: Oid;
  theirs: Oid;
}

async function entryIn(objects: PendingObjects, tree: Oid | null, path: string): Promise<TreeEntry | null> {
  if (tree === null) return null;
  let entry: TreeEntry = { mode: '040000', path: '', oid: tree, type: 'tree' };
  for (const segment of path.split('/')) {
    if (entry.type !== 'tree') return null;
    const next = (await objects.readTree(entry.oid)).find((e) => e.path === segment);
    if (next === undefined) return null;
    entry = next;
  }
  return entry;
}

function side(e: TreeEntry | null): ConflictSide | null {
  return e === null ? null : { id: e.oid, mode: e.mode, type: e.type };
}

async function textLines(objects: PendingObjects, e: TreeEntry | null): Promise<string[] | null> {
  if (e === null) return [];
  if (e.type !== 'blob' || e.mode === '120000') return null;
  const bytes = await objects.readBlob(e.oid);
  if (bytes.length > MAX_TEXT_BYTES || isBinary(bytes)) return null;
  try {
    UTF8.decode(bytes);
  } catch {
    return null;
  }
  // Split as the merge did (bytes as latin1), then each line back to its UTF-8 text.
  return splitLines(bytes).map((line) => Buffer.from(line, 'latin1').toString('utf8'));
}

/** Every conflict with its three sides, and its regions where it is text on both changed sides. */
export async function describeConflicts(objects: PendingObjects, trees: MergeTrees, conflicts: readonly MergeConflict[]): Promise<ConflictDetail[]> {
  return mapLimit([...conflicts], async (c, index) => {
    const [b, o, t] = await Promise.all([entryIn(objects, trees.base, c.path), entryIn(objects, trees.ours, c.path), entryIn(objects, trees.theirs, c.path)]);
    let regions: MergeRegion[] | null = null;
    if ((c.kind === 'content' || c.kind === 'add-add') && o !== null && t !== null && index < MAX_TEXT_CONFLICTS) {
      const [base, ours, theirs] = await Promise.all([textLines(objects, b), textLines(objects, o), textLines(objects, t)]);
      if (base !== null && ours !== null && theirs !== null) regions = mergeRegions(base, ours, theirs);
    }
    return { ...c, base: side(b), ours: side(o), theirs: side(t), regions };
  });
}

/** The mode a resolved text gets: a side's regular-file mode (executable if both agree), else 100644. */
function resolvedMode(ours: TreeEntry | null, theirs: TreeEntry | null): TreeEntry['mode'] {
  const regular = [ours, theirs].filter((e): e is TreeEntry => e !== null && (e.mode === '100644' || e.mode === '100755'));
  return regular.length > 0 && regular.every((e) => e.mode === '100755') ? '100755' : '100644';
}

/**
 * The merged tree with the resolutions applied. Every conflicting path needs one (those left
 * are listed as unresolved); a resolution for a path that does not conflict is invalid.
 */
export async function applyResolutions(
  objects: PendingObjects,
  merged: Oid,
  trees: MergeTrees & { mergeBases: Oid[] },
  conflicts: readonly MergeConflict[],
  resolutions: ReadonlyMap<string, Resolution>,
): Promise<{ ok: true; tree: Oid } | UnresolvedConflicts | Invalid> {
  const conflicting = new Set(conflicts.map((c) => c.path));
  const stray = [...resolutions.keys()].filter((p) => !conflicting.has(p));
  if (stray.length > 0) return invalid('changes', `these paths do not conflict in this merge, so they take no resolution: ${stray.slice(0, 20).join(', ')}`);
  const unresolved = conflicts.filter((c) => !resolutions.has(c.path));
  if (unresolved.length > 0) {
    return { ok: false, reason: 'conflict', cause: 'unresolved', conflicts: unresolved, mergeBases: trees.mergeBases, detail: `${unresolved.length} conflicting path(s) have no resolution: ${unresolved.map((c) => c.path).join(', ')}` };
  }
  const edits = new Map<string, Edit>();
  for (const [path, resolution] of resolutions) {
    // A conflicting path is absent from the merged tree: "delete" leaves it so.
    if ('delete' in resolution) continue;
    const [ours, theirs] = await Promise.all([entryIn(objects, trees.ours, path), entryIn(objects, trees.theirs, path)]);
    if ('take' in resolution) {
      const chosen = resolution.take === 'ours' ? ours : theirs;
      if (chosen !== null) edits.set(path, { kind: 'entry', entry: { mode: chosen.mode, oid: chosen.oid, type: chosen.type } });
      continue;
    }
    edits.set(path, { kind: 'entry', entry: { mode: resolvedMode(ours, theirs), oid: objects.putBlob(resolution.content), type: 'blob' } });
  }
  const edited = await editTree(objects, merged, edits);
  if (!edited.ok) return invalid('changes', `cannot apply the resolution of ${edited.path}: ${'detail' in edited ? edited.detail : edited.reason}`);
  return { ok: true, tree: edited.tree };
}
