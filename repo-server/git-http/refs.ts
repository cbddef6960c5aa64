import type { RepoStore } from '../../fs-service/index.js';
import { isOid } from './git-object.js';

/** The refs of a repository at one moment, read fresh for every request (never cached). */
export interface RefSnapshot {
  /** Full ref name -> object id, sorted by name in C-locale (byte) order. */
  refs: Map<string, string>;
  /** HEAD's symbolic target ("refs/heads/main"), or null when HEAD is detached. */
  headTarget: string | null;
  /** What HEAD resolves to, or null when unborn. */
  headOid: string | null;
}

function isNotFound(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Byte-order comparison, which is what git's C-locale sort of ref names is. */
export function compareRefNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

async function looseRefNames(store: RepoStore, dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await store.fs.promises.readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  const nested = await Promise.all(
    names.map(async (n) => {
      const path = `${dir}/${n}`;
      const st = await store.fs.promises.stat(path).catch((e: unknown) => (isNotFound(e) ? null : Promise.reject(e)));
      if (st === null) return [];
      return st.isDirectory() ? looseRefNames(store, path) : [path.slice(1)];
    }),
  );
  return nested.flat();
}

function parsePackedRefs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const m = /^([0-9a-f]{40}) (refs\/\S+)$/.exec(line);
    if (m !== null) out.set(m[2] as string, m[1] as string);
  }
  return out;
}

/**
 * Lists refs: loose files under /refs (our repositories keep only loose refs), plus a
 * packed-refs file if one was imported, with loose values winning as in git. The file
 * contents come back in one readMany round trip.
 */
export async function readRefSnapshot(store: RepoStore): Promise<RefSnapshot> {
  const names = await looseRefNames(store, '/refs');
  const [head, packed, ...values] = await store.readMany(['/HEAD', '/packed-refs', ...names.map((n) => `/${n}`)]);
  const all = packed === null || packed === undefined ? new Map<string, string>() : parsePackedRefs(packed.toString('utf8'));
  names.forEach((name, i) => {
    const oid = values[i]?.toString('utf8').trim();
    if (oid !== undefined && isOid(oid)) all.set(name, oid);
  });
  const refs = new Map([...all.entries()].sort(([a], [b]) => compareRefNames(a, b)));
  const headText = head?.toString('utf8').trim() ?? '';
  let headTarget: string | null = null;
  let headOid: string | null = null;
  if (headText.startsWith('ref: ')) {
    headTarget = headText.slice(5).trim();
    headOid = refs.get(headTarget) ?? null;
  } else if (isOid(headText)) {
    headOid = headText;
  }
  return { refs, headTarget, headOid };
}

/** A repository exists iff its store has /HEAD. */
export async function repoExists(store: RepoStore): Promise<boolean> {
  const [head] = await store.readMany(['/HEAD']);
  return head !== null && head !== undefined;
}
