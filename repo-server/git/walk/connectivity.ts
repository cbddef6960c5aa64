import type { ObjectStore } from '../store/object-store.js';
import type { ReceivedObject } from '../pack/ingest.js';

/**
 * git's check_connected for a push: everything a new tip reaches must exist. Objects that
 * arrived in the pack are followed; an object already in the repository ends the walk (the
 * repository is complete below what it stores, because every pack was checked this way and
 * REST writes children before parents). Returns the first missing id, or null.
 */
export async function findMissingObject(
  tip: string,
  received: Map<string, ReceivedObject>,
  odb: ObjectStore,
  checked: Set<string>,
): Promise<string | null> {
  const stack = [tip];
  while (stack.length > 0) {
    const oid = stack.pop() as string;
    if (checked.has(oid)) continue;
    checked.add(oid);
    const obj = received.get(oid);
    if (obj !== undefined) {
      for (const link of obj.links) if (!checked.has(link.oid)) stack.push(link.oid);
    } else if (!(await odb.has(oid))) {
      checked.delete(oid);
      return oid;
    }
  }
  return null;
}
