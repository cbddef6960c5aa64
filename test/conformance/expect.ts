import type { CaseRun } from './case.js';
import type { Exchange } from './http-client.js';

/** Named checks on an exchange; each records expected vs actual, so a report says what broke. */

export type Matcher = string | RegExp | ((value: string) => boolean);

function describe(m: Matcher): string {
  if (typeof m === 'string') return m;
  if (m instanceof RegExp) return `matches ${m.source}`;
  return 'present and valid';
}

function matches(m: Matcher, value: string): boolean {
  if (typeof m === 'string') return value === m;
  if (m instanceof RegExp) return m.test(value);
  return m(value);
}

export function header(t: CaseRun, ex: Exchange, name: string, m: Matcher, label = name): boolean {
  const value = ex.headers[name.toLowerCase()];
  return t.check(label, value !== undefined && matches(m, value), describe(m), value ?? '(absent)');
}

export function headerAbsent(t: CaseRun, ex: Exchange, name: string): boolean {
  const value = ex.headers[name.toLowerCase()];
  return t.check(`no ${name}`, value === undefined, '(absent)', value ?? '(absent)');
}

function listOf(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
}

/** Vary lists every request field the selection used (RFC 9110 12.5.5). */
export function varyHas(t: CaseRun, ex: Exchange, ...fields: string[]): boolean {
  const listed = listOf(ex.headers.vary);
  const ok = fields.every((f) => listed.includes(f.toLowerCase()) || listed.includes('*'));
  return t.check('Vary', ok, `lists ${fields.join(', ')}`, ex.headers.vary ?? '(absent)');
}

/** Allow names exactly these methods (any order). */
export function allowIs(t: CaseRun, ex: Exchange, methods: readonly string[]): boolean {
  const listed = listOf(ex.headers.allow).map((m) => m.toUpperCase()).sort();
  const want = [...methods].map((m) => m.toUpperCase()).sort();
  return t.check('Allow', listed.join(',') === want.join(','), want.join(', '), ex.headers.allow ?? '(absent)');
}

export function equal<T>(t: CaseRun, name: string, expected: T, actual: T): boolean {
  return t.check(name, JSON.stringify(expected) === JSON.stringify(actual), JSON.stringify(expected), JSON.stringify(actual));
}

/** The body as JSON, or undefined (recorded as a failed check) when it is not JSON. */
export function json(t: CaseRun, ex: Exchange): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(ex.body.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    t.check('JSON body', false, 'a JSON object', ex.body.toString('utf8').slice(0, 120));
  } catch {
    t.check('JSON body', false, 'a JSON object', ex.body.toString('utf8').slice(0, 120) || '(empty)');
  }
  return undefined;
}

/** Location resolves (relative references allowed, RFC 9110 10.2.2) to this path. */
export function location(t: CaseRun, ex: Exchange, path: string): boolean {
  const raw = ex.headers.location;
  const resolved = raw === undefined ? undefined : new URL(raw, t.ctx.http.url(ex.target)).pathname;
  return t.check('Location', resolved === path, path, raw ?? '(absent)');
}

/** An entity-tag as RFC 9110 8.8.3 spells it (no W/ when `strong`). */
export const ETAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;
export const STRONG_ETAG = /^"[\x21\x23-\x7e\x80-\xff]*"$/;

export const NO_CACHE = /(^|,)\s*no-cache\s*(,|$)/i;
/**
 * Content named by an object id never changes: long max-age (and immutable, RFC 8246), and
 * private: answers to token holders must not be kept by a shared cache.
 */
export const IMMUTABLE = (value: string): boolean =>
  /immutable/i.test(value) && /\bprivate\b/i.test(value) && !/\bpublic\b/i.test(value) && Number(/max-age=(\d+)/i.exec(value)?.[1] ?? 0) >= 86_400;

/** The git blob id of some bytes, which the API promises as a file's ETag. */
export { gitBlobId } from './git-objects.js';
