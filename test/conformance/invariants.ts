import type { CaseRun, ExchangeOptions } from './case.js';
import { ETAG } from './expect.js';
import type { Exchange } from './http-client.js';

/** IMF-fixdate, the one form a sender generates (RFC 9110 5.6.7). */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Rules every answer of the API must follow, whatever the case is about; checked on each
 * exchange under test so a deployment that breaks one is caught by every case that sees it.
 */
export function checkInvariants(t: CaseRun, ex: Exchange, options: ExchangeOptions): void {
  if (ex.status === 0) return;
  const h = ex.headers;
  // RFC 9110 6.6.1: an origin server with a clock sends Date on 2xx, 3xx and 4xx answers.
  if (ex.status < 500) t.check('Date', h.date !== undefined && IMF_FIXDATE.test(h.date), 'IMF-fixdate', h.date ?? '(absent)');
  if (h.etag !== undefined) t.check('ETag syntax', ETAG.test(h.etag), 'entity-tag (RFC 9110 8.8.3)', h.etag);
  if (h['last-modified'] !== undefined) t.check('Last-Modified syntax', IMF_FIXDATE.test(h['last-modified']), 'IMF-fixdate', h['last-modified']);
  // RFC 9110 15.5.2 and 15.5.6: these two statuses are incomplete without their header.
  if (ex.status === 401) t.check('WWW-Authenticate', (h['www-authenticate'] ?? '').trim() !== '', 'a challenge', h['www-authenticate'] ?? '(absent)');
  if (ex.status === 405) t.check('Allow on 405', h.allow !== undefined, 'present', '(absent)');
  if (ex.status === 204 || ex.status === 304) t.check('no content', ex.body.length === 0, '0 bytes', `${ex.body.length} bytes`);
  if (ex.status >= 400 && ex.method !== 'HEAD' && options.git !== true) checkProblem(t, ex);
}

/** RFC 9457: application/problem+json with type, title and the same status. */
function checkProblem(t: CaseRun, ex: Exchange): void {
  const type = (ex.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!t.check('problem+json', type === 'application/problem+json', 'application/problem+json', ex.headers['content-type'] ?? '(absent)')) return;
  let body: unknown;
  try {
    body = JSON.parse(ex.body.toString('utf8'));
  } catch {
    t.check('problem body', false, 'JSON', ex.body.toString('utf8').slice(0, 80));
    return;
  }
  const p = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const ok = typeof p.type === 'string' && typeof p.title === 'string' && p.status === ex.status;
  t.check('problem body', ok, `{type, title, status: ${ex.status}}`, JSON.stringify({ type: p.type, title: p.title, status: p.status }));
}
