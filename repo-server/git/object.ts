/**
 * The git object model, without dependencies: types and their pack codes, ids, and the parsers of
 * commits, tags and trees that every reader in the service uses (REST and git alike). Parsers take
 * bytes and answer plain values; a malformed object parses to null (the object checks in
 * object-checks.ts say why).
 */
import { createHash } from 'node:crypto';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';
export const OBJ_COMMIT = 1;
export const OBJ_TREE = 2;
export const OBJ_BLOB = 3;
export const OBJ_TAG = 4;
export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;

/** A 40-hex SHA-1 object id. */
export type Oid = string;

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
export function objectId(type: ObjectType, data: Buffer): Oid {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest('hex');
}

/** What a walk needs of a commit. */
export interface CommitInfo {
  tree: Oid;
  parents: Oid[];
  /** Committer time in seconds (git's revision walk orders by it). */
  time: number;
}

/** An author, committer or tagger (timestamp in seconds; offset in minutes with the sign of JavaScript's Date#getTimezoneOffset). */
export interface Person {
  name: string;
  email: string;
  timestamp: number;
  timezoneOffset: number;
}

/** Everything a reader shows of a commit. */
export interface CommitDetails {
  id: Oid;
  tree: Oid;
  parents: Oid[];
  author: Person;
  committer: Person;
  message: string;
}

function headerEnd(data: Buffer): number {
  const i = data.indexOf('\n\n', 0, 'latin1');
  return i < 0 ? data.length : i + 1;
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

/**
 * The header lines of a commit or tag, continuation lines (" ...", as in gpgsig) joined to the
 * line they continue, and the message after the blank line (CRs dropped, no leading blank lines,
 * one final newline: how git shows it).
 */
function headersAndMessage(data: Buffer): { headers: [string, string][]; message: string } {
  const text = data.toString('utf8');
  const blank = text.indexOf('\n\n');
  const head = blank < 0 ? text : text.slice(0, blank);
  const headers: [string, string][] = [];
  for (const line of head.split('\n')) {
    const last = headers[headers.length - 1];
    if (line.startsWith(' ') && last !== undefined) last[1] += `\n${line.slice(1)}`;
    else {
      const sp = line.indexOf(' ');
      headers.push(sp < 0 ? [line, ''] : [line.slice(0, sp), line.slice(sp + 1)]);
    }
  }
  const body = blank < 0 ? '' : text.slice(blank + 2);
  return { headers, message: `${body.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n` };
}

/** "Name <email> 1700000000 +0200" -> a Person (offset -120, Date's sign), or null. */
export function parsePerson(text: string): Person | null {
  const m = /^(.*) <(.*)> (-?\d+) ([+-])(\d\d)(\d\d)$/.exec(text);
  if (m === null) return null;
  const minutes = Number(m[5]) * 60 + Number(m[6]);
  const offset = m[4] === '+' ? -minutes : minutes;
  return { name: m[1] as string, email: m[2] as string, timestamp: Number(m[3]), timezoneOffset: offset === 0 ? 0 : offset };
}

/**
 * A commit as readers show it. git reads a commit's start by position (one `tree`, then the
 * `parent` lines right after it); later headers are kept but a `tree` or `parent` among them
 * means nothing, and the first of a repeated header wins.
 */
export function parseCommitDetails(id: Oid, data: Buffer): CommitDetails | null {
  const { headers, message } = headersAndMessage(data);
  const first = headers[0];
  if (first === undefined || first[0] !== 'tree' || !isOid(first[1])) return null;
  const parents: Oid[] = [];
  let at = 1;
  for (; at < headers.length && (headers[at] as [string, string])[0] === 'parent'; at++) parents.push((headers[at] as [string, string])[1]);
  if (!parents.every(isOid)) return null;
  const found = new Map<string, string>();
  for (; at < headers.length; at++) {
    const [key, value] = headers[at] as [string, string];
    if (!found.has(key)) found.set(key, value);
  }
  const author = parsePerson(found.get('author') ?? '');
  const committer = parsePerson(found.get('committer') ?? '');
  if (author === null || committer === null) return null;
  return { id, tree: first[1], parents, author, committer, message };
}

export interface TagInfo {
  object: Oid;
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

/** An annotated tag as readers show it. */
export interface TagDetails extends TagInfo {
  tag: string;
  tagger: Person | null;
  message: string;
}

export function parseTagDetails(data: Buffer): TagDetails | null {
  const info = parseTag(data);
  if (info === null) return null;
  const { headers, message } = headersAndMessage(data);
  const value = (key: string): string | undefined => headers.find(([k]) => k === key)?.[1];
  const tagger = value('tagger');
  return { ...info, tag: value('tag') ?? '', tagger: tagger === undefined ? null : parsePerson(tagger), message };
}

/** Gitlinks (submodule commits) live in another repository: never walked, never sent. */
export const GITLINK_MODE = '160000';

/**
 * One entry of a tree. `mode` as git writes it, except that folders read as "040000" (lined up
 * with the six-digit file modes, as isomorphic-git writes them back); `type` follows the mode.
 */
export interface TreeEntry {
  mode: string;
  path: string;
  oid: Oid;
  type: 'blob' | 'tree' | 'commit';
}

function entryType(mode: string): TreeEntry['type'] | null {
  switch (mode) {
    case '040000':
      return 'tree';
    case '100644':
    case '100755':
    case '120000':
      return 'blob';
    case GITLINK_MODE:
      return 'commit';
    default:
      return null;
  }
}

/**
 * "<mode> <name>\0<20-byte id>" repeated; null for a malformed tree. Entries come back ordered by
 * name (code point order), as a folder listing shows them, not in git's tree order.
 */
export function parseTree(data: Buffer): TreeEntry[] | null {
  const entries: { entry: TreeEntry; key: Buffer }[] = [];
  let pos = 0;
  while (pos < data.length) {
    const sp = data.indexOf(0x20, pos);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) return null;
    let mode = data.toString('latin1', pos, sp);
    if (mode === '40000') mode = '040000';
    const type = entryType(mode);
    if (type === null) return null;
    const key = data.subarray(sp + 1, nul);
    entries.push({ entry: { mode, path: key.toString('utf8'), oid: data.toString('hex', nul + 1, nul + 21), type }, key });
    pos = nul + 21;
  }
  // Byte order of UTF-8 is code point order.
  return entries.sort((a, b) => Buffer.compare(a.key, b.key)).map((e) => e.entry);
}

/** Ids an object points to, for reachability: commit -> tree+parents, tree -> entries, tag -> object. */
export function objectLinks(obj: GitObject): Oid[] | null {
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
      return entries === null ? null : entries.filter((e) => e.type !== 'commit').map((e) => e.oid);
    }
  }
}
