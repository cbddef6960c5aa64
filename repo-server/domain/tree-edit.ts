/**
 * Applies file writes and deletions to a tree, making new trees only on the changed paths;
 * every untouched subtree is kept by its id. Folders left empty disappear (git stores no
 * empty trees), except the root. New trees are pending (hashed, not yet written), so several
 * edits can be chained in memory and written in one round.
 */
import type { TreeEntry } from 'isomorphic-git';
import type { PendingObjects } from './pending-objects.js';
import type { Oid } from './types.js';

/** write: a file's new content (its mode kept); entry: exactly this entry (a merge resolution taking one side's). */
export type Edit = { kind: 'write'; blob: Oid } | { kind: 'delete' } | { kind: 'entry'; entry: Omit<TreeEntry, 'path'> };
export type Outcome = 'created' | 'replaced' | 'deleted';

export type EditFailure =
  | { ok: false; reason: 'not-found'; path: string }
  | { ok: false; reason: 'invalid-change'; path: string; detail: string };

export type EditResult = { ok: true; tree: Oid; outcomes: Map<string, Outcome> } | EditFailure;

interface Folder {
  children: Map<string, Folder | Edit>;
}

function isFolder(node: Folder | Edit): node is Folder {
  return 'children' in node;
}

/** Builds the nested plan; the caller has already refused duplicate and overlapping paths. */
function plan(edits: ReadonlyMap<string, Edit>): Folder {
  const root: Folder = { children: new Map() };
  for (const [path, edit] of edits) {
    const segments = path.split('/');
    let folder = root;
    for (const segment of segments.slice(0, -1)) {
      let next = folder.children.get(segment);
      if (next === undefined || !isFolder(next)) {
        next = { children: new Map() };
        folder.children.set(segment, next);
      }
      folder = next;
    }
    folder.children.set(segments[segments.length - 1]!, edit);
  }
  return root;
}

class Failed extends Error {
  constructor(readonly failure: EditFailure) {
    super(failure.reason);
  }
}

async function editFolder(objects: PendingObjects, base: Oid | null, folder: Folder, prefix: string, outcomes: Map<string, Outcome>): Promise<TreeEntry[]> {
  const entries = new Map<string, TreeEntry>();
  if (base !== null) for (const e of await objects.readTree(base)) entries.set(e.path, e);
  await Promise.all(
    [...folder.children].map(async ([name, node]) => {
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const existing = entries.get(name);
      if (isFolder(node)) {
        if (existing !== undefined && existing.type !== 'tree') {
          throw new Failed({ ok: false, reason: 'invalid-change', path, detail: `"${path}" is a file, not a folder` });
        }
        const children = await editFolder(objects, existing?.oid ?? null, node, path, outcomes);
        if (children.length === 0) entries.delete(name);
        else entries.set(name, { mode: '040000', path: name, oid: objects.putTree(children), type: 'tree' });
        return;
      }
      if (node.kind === 'entry') {
        entries.set(name, { ...node.entry, path: name });
        outcomes.set(path, existing === undefined ? 'created' : 'replaced');
        return;
      }
      if (existing?.type === 'tree') throw new Failed({ ok: false, reason: 'invalid-change', path, detail: `"${path}" is a folder` });
      if (existing?.type === 'commit') throw new Failed({ ok: false, reason: 'invalid-change', path, detail: `"${path}" is a submodule` });
      if (node.kind === 'delete') {
        if (existing === undefined) throw new Failed({ ok: false, reason: 'not-found', path });
        entries.delete(name);
        outcomes.set(path, 'deleted');
        return;
      }
      // An executable keeps its bit when its content is replaced; a symlink becomes a file.
      const mode = existing?.mode === '100755' ? '100755' : '100644';
      entries.set(name, { mode, path: name, oid: node.blob, type: 'blob' });
      outcomes.set(path, existing === undefined ? 'created' : 'replaced');
    }),
  );
  return [...entries.values()];
}

export async function editTree(objects: PendingObjects, base: Oid | null, edits: ReadonlyMap<string, Edit>): Promise<EditResult> {
  const outcomes = new Map<string, Outcome>();
  try {
    const entries = await editFolder(objects, base, plan(edits), '', outcomes);
    return { ok: true, tree: objects.putTree(entries), outcomes };
  } catch (err) {
    if (err instanceof Failed) return err.failure;
    throw err;
  }
}
