/**
 * The one pagination rule of every list the API answers: `per_page` (1 to 100, default 30) and
 * an opaque `cursor` taken from the `Link` header, which names the `first`, `prev`, `next` and
 * `last` pages as absolute URLs wherever they are known. A cursor is a position in the list, not
 * an offset: lists sorted by name continue after (or before) a name, so an item added or removed
 * meanwhile never makes another one seen twice or skipped; history continues where its walk
 * stopped. Cursors are base64url JSON: opaque to clients, and checked when they come back.
 */
import { halt, type Halt, type Request } from '../../webmachine/index.js';
import { mapLimit } from '../../fs-service/index.js';
import { problemType } from './problem-types.js';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

/** Where a page starts: after a key, ending before a key, the last page, or a walk's own position. */
export type Cursor = { after: string } | { before: string } | { last: true } | { at: string };
export type CursorKind = 'after' | 'before' | 'last' | 'at';
/** The cursors a list sorted by a key issues. */
export const KEYED: readonly CursorKind[] = ['after', 'before', 'last'];

export interface PageQuery {
  perPage: number;
  /** Null: the first page. */
  cursor: Cursor | null;
}

/** A link target: a cursor, or null for the first page. */
export interface PageLinks {
  first: null;
  prev?: Cursor;
  next?: Cursor;
  last?: Cursor;
}

export interface Page<T> {
  items: T[];
  links: PageLinks;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(token)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== 1) return undefined;
  const [key, v] = entries[0]!;
  if (key === 'last') return v === true ? { last: true } : undefined;
  if ((key === 'after' || key === 'before' || key === 'at') && typeof v === 'string' && v.length > 0) return { [key]: v } as Cursor;
  return undefined;
}

function badPage(detail: string): Halt {
  return halt(400, { type: problemType('invalid'), title: 'Invalid request', detail });
}

/**
 * `per_page` and `cursor` of a list request, or the 400 that explains what is wrong with them.
 * `kinds` are the cursors this list issues (a name-sorted list never issues `at`, history only `at`).
 */
export function readPageQuery(request: Request, kinds: readonly CursorKind[] = KEYED): PageQuery | Halt {
  const q = request.query;
  const perPageText = q.get('per_page');
  let perPage = DEFAULT_PER_PAGE;
  if (perPageText !== null) {
    perPage = /^\d{1,3}$/.test(perPageText) ? Number(perPageText) : NaN;
    if (!(perPage >= 1 && perPage <= MAX_PER_PAGE)) return badPage(`per_page must be a whole number from 1 to ${MAX_PER_PAGE}.`);
  }
  const token = q.get('cursor');
  if (token === null || token === '') return { perPage, cursor: null };
  const cursor = decodeCursor(token);
  if (cursor === undefined || !kinds.includes(Object.keys(cursor)[0] as CursorKind)) return badPage('cursor is not one this list issued; take it from the Link header.');
  return { perPage, cursor };
}

/**
 * One page of a whole list with a unique string key (branches, tags, tokens, users, webhooks),
 * in key order: every link is known.
 */
export function pageOf<T>(all: readonly T[], keyOf: (item: T) => string, q: PageQuery): Page<T> {
  const items = [...all].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const n = items.length;
  const firstAbove = (key: string, orEqual: boolean): number => {
    // Binary search: the first index whose key is above `key` (or equal, with orEqual).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = keyOf(items[mid]!);
      if (k > key || (orEqual && k === key)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  let start = 0;
  let end = Math.min(n, q.perPage);
  const c = q.cursor;
  if (c !== null && 'after' in c) {
    start = firstAbove(c.after, false);
    end = Math.min(n, start + q.perPage);
  } else if (c !== null && ('before' in c || 'last' in c)) {
    end = 'before' in c ? firstAbove(c.before, true) : n;
    start = Math.max(0, end - q.perPage);
  }
  const page = items.slice(start, end);
  const links: PageLinks = { first: null, last: { last: true } };
  if (start > 0 && page.length > 0) links.prev = { before: keyOf(page[0]!) };
  if (end < n && page.length > 0) links.next = { after: keyOf(page[page.length - 1]!) };
  return { items: page, links };
}

/**
 * One page of a list of sorted keys whose items must each be loaded, and may turn out not to be
 * listable (a deleted repository, one the caller may not read): only about one page of keys is
 * loaded, never the whole list. `prev` is given whenever keys precede the page (they may all be
 * unlistable).
 */
export async function pageOfLoaded<T>(keys: readonly string[], load: (key: string) => Promise<T | null>, q: PageQuery): Promise<Page<T>> {
  const n = keys.length;
  const backward = q.cursor !== null && ('before' in q.cursor || 'last' in q.cursor);
  const boundary = q.cursor === null ? 0 : 'after' in q.cursor ? upper(keys, q.cursor.after) : 'before' in q.cursor ? lower(keys, q.cursor.before) : n;
  // Keys in walking order from the boundary; loaded a page (plus one, to know if more follow) at a time.
  const order = backward ? keys.slice(0, boundary).reverse() : keys.slice(boundary);
  const found: { key: string; item: T }[] = [];
  let used = 0;
  while (found.length <= q.perPage && used < order.length) {
    const batch = order.slice(used, used + q.perPage + 1 - found.length);
    used += batch.length;
    const loaded = await mapLimit(batch, load);
    loaded.forEach((item, i) => {
      if (item !== null && found.length <= q.perPage) found.push({ key: batch[i]!, item });
    });
  }
  const more = found.length > q.perPage;
  const page = found.slice(0, q.perPage);
  if (backward) page.reverse();
  const links: PageLinks = { first: null, last: { last: true } };
  if (page.length > 0) {
    const firstKey = page[0]!.key;
    const lastKey = page[page.length - 1]!.key;
    if (backward ? more : lower(keys, firstKey) > 0) links.prev = { before: firstKey };
    if (backward ? upper(keys, lastKey) < n : more) links.next = { after: lastKey };
  }
  return { items: page.map((p) => p.item), links };
}

/** The first index whose key is >= key. */
function lower(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose key is > key. */
function upper(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The scheme and authority clients reached us by: Host as the request gave it, and the scheme
 * nginx names in X-Forwarded-Proto (the answer only goes back to the client that sent it).
 */
export function publicOrigin(request: Request): string {
  const forwarded = request.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const scheme = forwarded === 'https' ? 'https' : 'http';
  return `${scheme}://${request.url.host}`;
}

/** The absolute URL of another page of the same list: the same path and query, that cursor. */
export function pageUrl(request: Request, perPage: number | null, cursor: Cursor | null): string {
  const query = new URLSearchParams(request.query);
  query.delete('cursor');
  query.delete('per_page');
  if (perPage !== null) query.set('per_page', String(perPage));
  if (cursor !== null) query.set('cursor', encodeCursor(cursor));
  const search = query.toString();
  return `${publicOrigin(request)}${request.url.pathname}${search === '' ? '' : `?${search}`}`;
}

/** The RFC 8288 Link header of a page. */
export function linkHeader(request: Request, q: PageQuery, links: PageLinks): string {
  const perPage = request.query.get('per_page') === null ? null : q.perPage;
  const parts: string[] = [];
  for (const rel of ['first', 'prev', 'next', 'last'] as const) {
    const target = links[rel];
    if (target === undefined) continue;
    parts.push(`<${pageUrl(request, perPage, target)}>; rel="${rel}"`);
  }
  return parts.join(', ');
}
