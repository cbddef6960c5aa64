/**
 * Reading refs, for REST and git alike: loose files under /refs and the /packed-refs file (what
 * a repository imported from git, or a bulk update, keeps there), loose values winning as in
 * git. Refs are never cached: every read goes to storage (or to a read lease that is revoked
 * before any change is acknowledged). Writes go through ref-update.ts only.
 */
import type { RepoStore } from '../../../fs-service/index.js';
import { isOid, type Oid } from '../object.js';
import { isValidRefName } from './ref-name.js';

export const PACKED_REFS_PATH = '/packed-refs';

/** The refs of a repository at one moment. */
export interface RefSnapshot {
  /** Full ref name -> object id, sorted by name in C-locale (byte) order. */
  refs: Map<string, Oid>;
  /** HEAD's symbolic target ("refs/heads/main"), or null when HEAD is detached. */
  headTarget: string | null;
  /** What HEAD resolves to, or null when unborn. */
  headOid: Oid | null;
}

/** Byte-order comparison, which is what git's C-locale sort of ref names is. */
export function compareRefNames(a: string, b: string): number {
  // ASCII names (nearly all) compare the same as UTF-16 strings, without two buffers per compare.
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const ASCII = /^[\x00-\x7f]*$/;

export function refFile(ref: string): string {
  return `/${ref}`;
}

/** A loose ref file's content as an object id; null for absent or not an id. */
export function parseRef(data: Buffer | null | undefined): Oid | null {
  if (data === null || data === undefined) return null;
  const oid = data.toString('utf8').trim();
  return isOid(oid) ? oid : null;
}

// A leased read hands back the same buffer until the file changes: parse it once.
const parsedPacked = new WeakMap<Buffer, ReadonlyMap<string, Oid>>();
// Other stores read the file anew each time: the last few parsed are known by their bytes
// (compared whole, so never stale), and every page of a list of 10,000 refs is not a parse of
// 10,000 lines.
const recentPacked: { bytes: Buffer; refs: ReadonlyMap<string, Oid> }[] = [];
const RECENT_PACKED_BYTES = 16 * 1024 * 1024;

/** An "<id> <ref>" line of packed-refs as [ref, id]; null for any other line. */
function packedLine(line: string): [string, Oid] | null {
  if (line.length < 46 || line.charCodeAt(40) !== 0x20) return null;
  const oid = line.slice(0, 40);
  const ref = line.slice(41);
  return isOid(oid) && isValidRefName(ref) ? [ref, oid] : null;
}

/** "<id> <ref>" lines of a packed-refs file ("#" headers and "^" peeled lines skipped), in file order. */
export function parsePackedRefs(data: Buffer | null | undefined): ReadonlyMap<string, Oid> {
  if (data === null || data === undefined) return new Map();
  const known = parsedPacked.get(data) ?? recentPacked.find((r) => r.bytes.length === data.length && r.bytes.equals(data))?.refs;
  if (known !== undefined) return known;
  const out = new Map<string, Oid>();
  for (const line of data.toString('utf8').split('\n')) {
    const entry = packedLine(line);
    if (entry !== null) out.set(entry[0], entry[1]);
  }
  parsedPacked.set(data, out);
  if (data.length <= RECENT_PACKED_BYTES / 4) {
    recentPacked.unshift({ bytes: data, refs: out });
    let kept = 0;
    const keep = recentPacked.findIndex((r) => (kept += r.bytes.length) > RECENT_PACKED_BYTES);
    if (keep >= 0) recentPacked.length = keep;
  }
  return out;
}

/** What a packed-refs file written here says of itself: sorted, as git reads it (no peeling promised). */
const PACKED_HEADER = '# pack-refs with: sorted \n';

/**
 * The packed-refs file with `changes` made (a ref to an id, or null to drop it), sorted by name
 * in byte order as git keeps it; a kept ref keeps its peeled ("^") line. Null when nothing is left.
 */
export function packedRefsWith(data: Buffer | null, changes: ReadonlyMap<string, Oid | null>): Buffer | null {
  const entries = new Map<string, string>();
  let current: string | null = null;
  for (const line of (data?.toString('utf8') ?? '').split('\n')) {
    if (line.startsWith('^')) {
      if (current !== null && /^\^[0-9a-f]{40}$/.test(line)) entries.set(current, `${entries.get(current) as string}\n${line}`);
      continue;
    }
    current = packedLine(line)?.[0] ?? null;
    if (current !== null) entries.set(current, line);
  }
  for (const [ref, oid] of changes) {
    if (oid === null) entries.delete(ref);
    else entries.set(ref, `${oid} ${ref}`);
  }
  if (entries.size === 0) return null;
  const names = [...entries.keys()].sort(compareRefNames);
  return Buffer.from(`${PACKED_HEADER}${names.map((n) => entries.get(n) as string).join('\n')}\n`);
}

/**
 * One ref's packed value without parsing the whole file (a repository may pack tens of thousands
 * of refs and most reads want one): a search for " <ref>\n" at the end of a line.
 */
export function packedValue(data: Buffer, ref: string): Oid | null {
  const known = parsedPacked.get(data);
  if (known !== undefined) return known.get(ref) ?? null;
  const needle = Buffer.from(` ${ref}\n`);
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + 1)) {
    const oid = lineOid(data, at);
    if (oid !== null) return oid;
  }
  // The last line may lack its newline.
  const tail = Buffer.from(` ${ref}`);
  if (data.length >= tail.length && data.subarray(data.length - tail.length).equals(tail)) return lineOid(data, data.length - tail.length);
  return null;
}

/** The id that starts the line whose name begins at `at` + 1, if that line is "<id> <name>". */
function lineOid(data: Buffer, at: number): Oid | null {
  const start = at - 40;
  if (start < 0 || (start > 0 && data[start - 1] !== 0x0a)) return null;
  const oid = data.toString('latin1', start, at);
  return isOid(oid) ? oid : null;
}

/** Whether packed-refs names a ref below `ref` ("refs/heads/a/..." below "refs/heads/a"), and the first one. */
export function packedRefBelow(data: Buffer | null | undefined, ref: string): string | null {
  if (data === null || data === undefined) return null;
  const needle = Buffer.from(` ${ref}/`);
  for (let at = data.indexOf(needle); at >= 0; at = data.indexOf(needle, at + 1)) {
    const end = data.indexOf(0x0a, at);
    const name = data.toString('utf8', at + 1, end < 0 ? data.length : end);
    if (lineOid(data, at) !== null && isValidRefName(name)) return name;
  }
  return null;
}

/** The value of one ref (loose first, then packed), or null. One storage round trip. */
export async function readRef(store: RepoStore, ref: string): Promise<Oid | null> {
  const [loose, packed] = await store.readMany([refFile(ref), PACKED_REFS_PATH]);
  return refValue(ref, loose ?? null, packed ?? null);
}

/** What a ref is given its loose file and the packed-refs file, both as read. */
export function refValue(ref: string, loose: Buffer | null, packed: Buffer | null): Oid | null {
  return parseRef(loose) ?? (packed === null ? null : packedValue(packed, ref));
}

/** The loose refs under a prefix as stored: full name -> the file's bytes (unsorted). */
export interface LooseRefs {
  loose: Map<string, Buffer>;
  /** The packed-refs file and the `alsoRead` files, read in the first batch. */
  packed: Buffer | null;
  also: (Buffer | null)[];
}

/**
 * The loose ref files under `prefix`, with packed-refs. Folders are listed level by level and each
 * level's files are read in one batch (a folder reads as no file), so the cost is two round trips
 * per level of nesting, whatever the number of refs. Bulk updates fold loose refs into packed-refs
 * (ref-update.ts), so there are few of them.
 */
export async function listLooseRefs(store: RepoStore, prefix = 'refs/', alsoRead: readonly string[] = []): Promise<LooseRefs> {
  const loose = new Map<string, Buffer>();
  let level = [`/${prefix.replace(/\/$/, '')}`];
  let also: (Buffer | null)[] = [];
  let packed: Buffer | null = null;
  let first = true;
  while (level.length > 0) {
    const listings = await Promise.all(level.map((dir) => store.fs.promises.readdir(dir).catch(() => [] as string[])));
    const children = level.flatMap((dir, i) => (listings[i] as string[]).map((name) => `${dir}/${name}`));
    const extra = first ? [PACKED_REFS_PATH, ...alsoRead] : [];
    const values = await store.readMany([...extra, ...children]);
    if (first) {
      packed = values[0] ?? null;
      also = values.slice(1, extra.length).map((b) => b ?? null);
      first = false;
    }
    const next: string[] = [];
    children.forEach((path, i) => {
      const bytes = values[extra.length + i] ?? null;
      if (bytes === null) next.push(path);
      else if (isValidRefName(path.slice(1))) loose.set(path.slice(1), bytes);
    });
    level = next;
  }
  return { loose, packed, also };
}

/** Every ref under `prefix` ("refs/heads/", or "refs/" for all), sorted by name: loose wins over packed. */
export async function listRefs(store: RepoStore, prefix = 'refs/', alsoRead: readonly string[] = []): Promise<{ refs: Map<string, Oid>; also: (Buffer | null)[] }> {
  const { loose, packed, also } = await listLooseRefs(store, prefix, alsoRead);
  const found = new Map<string, Oid>();
  for (const [ref, bytes] of loose) {
    const oid = parseRef(bytes);
    if (oid !== null) found.set(ref, oid);
  }
  // packed-refs is sorted and the loose refs few: sorting the two runs one after the other is a merge.
  const all: [string, Oid][] = [];
  for (const [ref, oid] of parsePackedRefs(packed)) if (ref.startsWith(prefix) && !found.has(ref)) all.push([ref, oid]);
  all.push(...[...found].sort(([a], [b]) => compareRefNames(a, b)));
  return { refs: new Map(all.sort(([a], [b]) => compareRefNames(a, b))), also };
}

/** Every ref and HEAD, at one moment as far as storage allows (never cached). */
export async function readRefSnapshot(store: RepoStore): Promise<RefSnapshot> {
  const { refs, also } = await listRefs(store, 'refs/', ['/HEAD']);
  const headText = also[0]?.toString('utf8').trim() ?? '';
  let headTarget: string | null = null;
  let headOid: Oid | null = null;
  if (headText.startsWith('ref: ')) {
    headTarget = headText.slice(5).trim();
    headOid = refs.get(headTarget) ?? null;
  } else if (isOid(headText)) {
    headOid = headText;
  }
  return { refs, headTarget, headOid };
}
