/**
 * Applies file writes and deletions to a tree, making new trees only on the changed paths;
 * every untouched subtree is kept by its id. Folders left empty disappear (git stores no
 * empty trees), except the root. New trees are pending (hashed, not yet written), so several
 * edits can be chained in memory and written in one round.
 */
import type { TreeEntry } from '../git/index.js';
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

/** One folder of the plan on its way: the entries of its base tree, then its edits applied. */
interface FolderWork {
  folder: Folder;
  path: string;
  base: Oid | null;
  entries: Map<string, TreeEntry>;
  parent: FolderWork | null;
  name: string;
}

/**
 * Applies the plan without recursion (a path may be deep): folders are read level by level, each
 * level's base trees in parallel, then rebuilt deepest first so every folder sees its children's
 * new ids.
 */
async function editFolders(objects: PendingObjects, base: Oid | null, root: Folder, outcomes: Map<string, Outcome>): Promise<TreeEntry[]> {
  const top: FolderWork = { folder: root, path: '', base, entries: new Map(), parent: null, name: '' };
  const order: FolderWork[] = [];
  let level = [top];
  while (level.length > 0) {
    await Promise.all(
      level.map(async (work) => {
        if (work.base !== null) for (const e of await objects.readTree(work.base)) work.entries.set(e.path, e);
      }),
    );
    const next: FolderWork[] = [];
    for (const work of level) {
      order.push(work);
      for (const [name, node] of work.folder.children) {
        const path = work.path === '' ? name : `${work.path}/${name}`;
        const existing = work.entries.get(name);
        if (isFolder(node)) {
          if (existing !== undefined && existing.type !== 'tree') {
            throw new Failed({ ok: false, reason: 'invalid-change', path, detail: `"${path}" is a file, not a folder` });
          }
          next.push({ folder: node, path, base: existing?.oid ?? null, entries: new Map(), parent: work, name });
          continue;
        }
        if (node.kind === 'entry') {
          work.entries.set(name, { ...node.entry, path: name });
          outcomes.set(path, existing === undefined ? 'created' : 'replaced');
          continue;
        }
        if (existing?.type === 'tree') throw new Failed({ ok: false, reason: 'invalid-change', path, detail: `"${path}" is a folder` });
        if (existing?.type === 'commit') throw new Failed({ ok: false, reason: 'invalid-change', path, detail: `"${path}" is a submodule` });
        if (node.kind === 'delete') {
          if (existing === undefined) throw new Failed({ ok: false, reason: 'not-found', path });
          work.entries.delete(name);
          outcomes.set(path, 'deleted');
          continue;
        }
        // An executable keeps its bit when its content is replaced; a symlink becomes a file.
        const mode = existing?.mode === '100755' ? '100755' : '100644';
        work.entries.set(name, { mode, path: name, oid: node.blob, type: 'blob' });
        outcomes.set(path, existing === undefined ? 'created' : 'replaced');
      }
    }
    level = next;
  }
  // Breadth-first order: every folder comes after its parent, so backwards is children first.
  for (let i = order.length - 1; i > 0; i--) {
    const work = order[i] as FolderWork;
    const parent = work.parent as FolderWork;
    const children = [...work.entries.values()];
    if (children.length === 0) parent.entries.delete(work.name);
    else parent.entries.set(work.name, { mode: '040000', path: work.name, oid: objects.putTree(children), type: 'tree' });
  }
  return [...top.entries.values()];
}

export async function editTree(objects: PendingObjects, base: Oid | null, edits: ReadonlyMap<string, Edit>): Promise<EditResult> {
  const outcomes = new Map<string, Outcome>();
  try {
    const entries = await editFolders(objects, base, plan(edits), outcomes);
    return { ok: true, tree: objects.putTree(entries), outcomes };
  } catch (err) {
    if (err instanceof Failed) return err.failure;
    throw err;
  }
}
