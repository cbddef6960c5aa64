/** Reading the Link header of a paginated list (RFC 8288), and following it. */
import { expect } from 'vitest';
import type { ApiClient } from './harness.js';

export type Rel = 'first' | 'prev' | 'next' | 'last';

/** rel -> absolute URL of each link in the header. */
export function linkTargets(header: string | undefined): Partial<Record<Rel, string>> {
  const out: Partial<Record<Rel, string>> = {};
  if (header === undefined) return out;
  for (const m of header.matchAll(/<([^>]*)>\s*;\s*rel="([a-z]+)"/g)) out[m[2] as Rel] = m[1]!;
  return out;
}

/**
 * Follows `rel` from `path` to the end of the list, checking every link is an absolute URL of the
 * same server: answers every item of every page (`key` names the list in the body) and the pages' count.
 */
export async function follow<T>(client: ApiClient, base: string, path: string, key: string, rel: 'next' | 'prev' = 'next', max = 1000): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  let next: string | undefined = path;
  while (next !== undefined) {
    const res = await client.get(next);
    expect(res.status, res.text).toBe(200);
    const page = (JSON.parse(res.text) as Record<string, T[]>)[key]!;
    items.push(...(rel === 'prev' ? [...page].reverse() : page));
    pages++;
    expect(pages, `more than ${max} pages`).toBeLessThanOrEqual(max);
    const target = linkTargets(res.headers.link as string | undefined)[rel];
    if (target !== undefined) expect(target.startsWith(`${base}/`), target).toBe(true);
    next = target?.slice(base.length);
  }
  return { items, pages };
}
