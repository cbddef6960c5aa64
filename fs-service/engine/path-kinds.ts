/**
 * The only git knowledge fs-service has: files whose name is their content's hash never change
 * once written, so they may be cached forever and written without excluding each other.
 */
const LOOSE_OBJECT = /^\/objects\/[0-9a-f]{2}\/[0-9a-f]{38}$/;
const PACK_FILE = /^\/objects\/pack\/pack-[0-9a-f]{40}\.(?:pack|idx)$/;

export const PACK_DIR = '/objects/pack';

export function isLooseObjectPath(path: string): boolean {
  return LOOSE_OBJECT.test(path);
}

export function isImmutablePath(path: string): boolean {
  return LOOSE_OBJECT.test(path) || PACK_FILE.test(path);
}

/** Writes here can turn a cached "absent" or a cached pack listing stale. */
export function touchesObjectStore(path: string): boolean {
  return path === '/' || path === '/objects' || path.startsWith('/objects/');
}
