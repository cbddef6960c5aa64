import { parseTag } from './git-object.js';
import type { ObjectCaches } from './object-cache.js';
import type { ObjectDb } from './object-db.js';

/**
 * What an annotated tag finally points to, or null for anything that is not a tag object.
 * Cached by id both ways ('' = not a tag), so advertising a thousand branches costs one
 * type lookup each only the first time.
 */
export async function peel(odb: ObjectDb, caches: ObjectCaches, oid: string): Promise<string | null> {
  const hit = caches.peeled.get(oid);
  if (hit !== undefined) return hit === '' ? null : hit;
  const type = await odb.typeOf(oid);
  if (type !== 'tag') {
    if (type !== null) caches.peeled.set(oid, '');
    return null;
  }
  let current = oid;
  for (let depth = 0; depth < 100; depth++) {
    const obj = await odb.read(current);
    if (obj === null || obj.type !== 'tag') break;
    const tag = parseTag(obj.data);
    if (tag === null) return null;
    current = tag.object;
  }
  caches.peeled.set(oid, current);
  return current;
}
