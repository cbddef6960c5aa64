import { checkObject, type ObjectType, type TypedLink } from './object-checks.js';
import type { ObjectStore } from './store/object-store.js';
import { readRefSnapshot } from './refs/ref-store.js';

/** An object some ref reaches that fails the checks a push passes today, and the refs that reach it. */
export interface ObjectFault {
  oid: string;
  problem: string;
  refs: string[];
}

export interface RepositoryCheck {
  refs: number;
  /** Objects reached from the refs and checked. */
  objects: number;
  faults: ObjectFault[];
}

interface Pending {
  oid: string;
  /** The type the link that led here says it has; null for a ref's own target. */
  expected: ObjectType | null;
  from: string;
}

/**
 * git fsck for what the refs reach, with the object checks receive-pack applies (so it finds what
 * repositories written before those checks may hold): every commit, tree and tag is parsed and
 * checked, every link must lead to an object of the type it claims, and blobs must exist (their
 * type is read from the pack header, their bytes are never inflated). Each fault names the refs
 * from which it is reachable: those are the refs a clone would choke on.
 */
export async function checkRepository(odb: ObjectStore): Promise<RepositoryCheck> {
  const snapshot = await readRefSnapshot(odb.store);
  const problems = new Map<string, string>();
  const linksOf = new Map<string, string[]>();
  const seen = new Set<string>();
  const stack: Pending[] = [...snapshot.refs].map(([ref, oid]) => ({ oid, expected: null, from: ref }));
  while (stack.length > 0) {
    const { oid, expected, from } = stack.pop() as Pending;
    if (seen.has(oid)) {
      const type = await odb.typeOf(oid);
      if (expected !== null && type !== null && type !== expected && !problems.has(oid)) problems.set(oid, mismatch(type, expected, from));
      continue;
    }
    seen.add(oid);
    if (expected === 'blob') {
      const type = await odb.typeOf(oid);
      if (type === null) problems.set(oid, `missingObject: linked from ${from}, but not stored`);
      else if (type !== 'blob') problems.set(oid, mismatch(type, expected, from));
      continue;
    }
    const obj = await odb.read(oid);
    if (obj === null) {
      problems.set(oid, `missingObject: linked from ${from}, but not stored`);
      continue;
    }
    if (expected !== null && obj.type !== expected) problems.set(oid, mismatch(obj.type, expected, from));
    const checked = checkObject(obj.type, obj.data);
    if (!checked.ok) {
      problems.set(oid, `${checked.problem} (${obj.type})`);
      continue;
    }
    linksOf.set(oid, checked.links.map((l: TypedLink) => l.oid));
    for (const link of checked.links) stack.push({ oid: link.oid, expected: link.type, from: `${obj.type} ${oid}` });
  }
  const faults: ObjectFault[] = [...problems].map(([oid, problem]) => ({ oid, problem, refs: [] }));
  if (faults.length > 0) {
    const byOid = new Map(faults.map((f) => [f.oid, f]));
    for (const [ref, tip] of snapshot.refs) {
      for (const oid of closure(tip, linksOf)) byOid.get(oid)?.refs.push(ref);
    }
  }
  return { refs: snapshot.refs.size, objects: seen.size, faults };
}

function mismatch(actual: ObjectType, expected: ObjectType, from: string): string {
  return `badLinkType: linked from ${from} as a ${expected}, but it is a ${actual}`;
}

/** Every id reachable from `tip` through the links found while checking. */
function closure(tip: string, linksOf: Map<string, string[]>): Set<string> {
  const out = new Set<string>();
  const stack = [tip];
  while (stack.length > 0) {
    const oid = stack.pop() as string;
    if (out.has(oid)) continue;
    out.add(oid);
    for (const link of linksOf.get(oid) ?? []) stack.push(link);
  }
  return out;
}
