import { cost } from './store/cache.js';
import type { ObjectStore } from './store/object-store.js';

/** How many annotated tags one chain may stack (git itself sets no limit; a loop is impossible by ids). */
export const MAX_TAG_HOPS = 100;

/**
 * What an annotated tag finally points to, or null for anything that is not a tag object (or a
 * chain longer than MAX_TAG_HOPS, or broken). Kept in the cache both ways ('' = not a tag), so
 * advertising a thousand branches costs one type lookup each only the first time.
 */
export async function peel(objects: ObjectStore, oid: string): Promise<string | null> {
  const hit = objects.cache.get<string>('peeled', objects.repo, oid);
  if (hit !== undefined) return hit === '' ? null : hit;
  const type = await objects.typeOf(oid);
  if (type !== 'tag') {
    if (type !== null) objects.cache.set('peeled', objects.repo, oid, '', cost.small);
    return null;
  }
  let current = oid;
  for (let hops = 0; ; hops++) {
    if (hops > MAX_TAG_HOPS) return null;
    const tag = await objects.tagDetails(current);
    if (tag === null) break;
    current = tag.object;
  }
  objects.cache.set('peeled', objects.repo, oid, current, cost.small);
  return current;
}
