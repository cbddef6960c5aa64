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
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

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

/** "<id> <ref>" lines of a packed-refs file ("#" headers and "^" peeled lines skipped). */
export function parsePackedRefs(data: Buffer | null | undefined): ReadonlyMap<string, Oid> {
  if (data === null || data === undefined) return new Map();
  const known = parsedPacked.get(data);
  if (known !== undefined) return known;
  const out = new Map<string, Oid>();
  for (const line of data.toString('utf8').split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const m = /^([0-9a-f]{40}) (refs\/\S+)$/.exec(line);
    if (m !== null && isValidRefName(m[2] as string)) out.set(m[2] as string, m[1] as string);
  }
  parsedPacked.set(data, out);
  return out;
}

/** The packed-refs file with `drop` left out, in git's format (null when nothing is left). */
export function packedRefsWithout(data: Buffer, drop: ReadonlySet<string>): Buffer | null {
  const lines = data.toString('utf8').split('\n');
  const kept: string[] = [];
  let skipPeeled = false;
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('^')) {
      if (!skipPeeled) kept.push(line);
      continue;
    }
    const ref = /^[0-9a-f]{40} (\S+)$/.exec(line)?.[1];
    skipPeeled = ref !== undefined && drop.has(ref);
    if (!skipPeeled) kept.push(line);
  }
  return kept.some((l) => !l.startsWith('#')) ? Buffer.from(`${kept.join('\n')}\n`) : null;
}

/** The value of one ref (loose first, then packed), or null. One storage round trip. */
export async function readRef(store: RepoStore, ref: string): Promise<Oid | null> {
  const [loose, packed] = await store.readMany([refFile(ref), PACKED_REFS_PATH]);
  return refValue(ref, loose ?? null, packed ?? null);
}

/** What a ref is given its loose file and the packed-refs file, both as read. */
export function refValue(ref: string, loose: Buffer | null, packed: Buffer | null): Oid | null {
  return parseRef(loose) ?? parsePackedRefs(packed).get(ref) ?? null;
}

/**
 * Every ref under `prefix` ("refs/heads/", or "refs/" for all), sorted by name. Folders are
 * listed level by level and each level's files are read in one batch (a folder reads as no
 * file), so the cost is two round trips per level of nesting, whatever the number of refs.
 */
export async function listRefs(store: RepoStore, prefix = 'refs/', alsoRead: readonly string[] = []): Promise<{ refs: Map<string, Oid>; also: (Buffer | null)[] }> {
  const found = new Map<string, Oid>();
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
      else {
        const oid = parseRef(bytes);
        const ref = path.slice(1);
        if (oid !== null && isValidRefName(ref)) found.set(ref, oid);
      }
    });
    level = next;
  }
  for (const [ref, oid] of parsePackedRefs(packed)) if (ref.startsWith(prefix) && !found.has(ref)) found.set(ref, oid);
  return { refs: new Map([...found].sort(([a], [b]) => compareRefNames(a, b))), also };
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
