import { createHash } from 'node:crypto';

/** Object types and their numbers in a pack entry header (gitformat-pack). */
export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';
export const OBJ_COMMIT = 1;
export const OBJ_TREE = 2;
export const OBJ_BLOB = 3;
export const OBJ_TAG = 4;
export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;

export const ZERO_OID = '0'.repeat(40);
const OID_RE = /^[0-9a-f]{40}$/;

export function isOid(s: string): boolean {
  return OID_RE.test(s);
}

export function typeFromCode(code: number): ObjectType | null {
  switch (code) {
    case OBJ_COMMIT:
      return 'commit';
    case OBJ_TREE:
      return 'tree';
    case OBJ_BLOB:
      return 'blob';
    case OBJ_TAG:
      return 'tag';
    default:
      return null;
  }
}

export function codeFromType(type: ObjectType): number {
  return type === 'commit' ? OBJ_COMMIT : type === 'tree' ? OBJ_TREE : type === 'blob' ? OBJ_BLOB : OBJ_TAG;
}

export interface GitObject {
  type: ObjectType;
  data: Buffer;
}

/** The object id: SHA-1 over "<type> <size>\0" and the content. */
export function objectId(type: ObjectType, data: Buffer): string {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest('hex');
}

export interface CommitInfo {
  tree: string;
  parents: string[];
  /** Committer time in seconds; the walk orders by it as git's revision walk does. */
  time: number;
}

/** The header fields a walk needs; stops at the blank line so the message is never decoded. */
export function parseCommit(data: Buffer): CommitInfo | null {
  const text = data.toString('latin1', 0, Math.min(data.length, headerEnd(data)));
  let tree = '';
  const parents: string[] = [];
  let time = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5, 45);
    else if (line.startsWith('parent ')) parents.push(line.slice(7, 47));
    else if (line.startsWith('committer ')) {
      const m = /> (-?\d+) [+-]\d{4}$/.exec(line);
      if (m !== null) time = Number(m[1]);
    }
  }
  if (!isOid(tree) || !parents.every(isOid)) return null;
  return { tree, parents, time };
}

function headerEnd(data: Buffer): number {
  const i = data.indexOf('\n\n', 0, 'latin1');
  return i < 0 ? data.length : i + 1;
}

export interface TagInfo {
  object: string;
  type: ObjectType;
}

export function parseTag(data: Buffer): TagInfo | null {
  const text = data.toString('latin1', 0, headerEnd(data));
  let object = '';
  let type: string = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('object ')) object = line.slice(7, 47);
    else if (line.startsWith('type ')) type = line.slice(5);
  }
  if (!isOid(object)) return null;
  if (type !== 'commit' && type !== 'tree' && type !== 'blob' && type !== 'tag') return null;
  return { object, type };
}

export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

/** Gitlinks (submodule commits) live in another repository: never walked, never sent. */
export const GITLINK_MODE = '160000';
const TREE_MODE = '40000';

export function isTreeMode(mode: string): boolean {
  return mode === TREE_MODE || mode === '040000';
}

/** "<mode> <name>\0<20-byte id>" repeated; null for a malformed tree. */
export function parseTree(data: Buffer): TreeEntry[] | null {
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) return null;
    entries.push({
      mode: data.toString('latin1', pos, sp),
      name: data.toString('utf8', sp + 1, nul),
      oid: data.toString('hex', nul + 1, nul + 21),
    });
    pos = nul + 21;
  }
  return entries;
}

/** Ids an object points to, for reachability: commit -> tree+parents, tree -> entries, tag -> object. */
export function objectLinks(obj: GitObject): string[] | null {
  switch (obj.type) {
    case 'blob':
      return [];
    case 'commit': {
      const c = parseCommit(obj.data);
      return c === null ? null : [c.tree, ...c.parents];
    }
    case 'tag': {
      const t = parseTag(obj.data);
      return t === null ? null : [t.object];
    }
    case 'tree': {
      const entries = parseTree(obj.data);
      return entries === null ? null : entries.filter((e) => e.mode !== GITLINK_MODE).map((e) => e.oid);
    }
  }
}
