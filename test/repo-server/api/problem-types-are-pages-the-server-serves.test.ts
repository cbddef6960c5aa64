/**
 * Every problem `type` the API answers is a page the server itself serves (/problems/<name>:
 * HTML for people, JSON for programs), and docs/api.md lists every one. That every answered
 * problem names one of them is checked by every API suite's schema check (Problem.type).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { PROBLEM_TYPES } from '../../../repo-server/http/problem-types.js';
import { expectProblem, json } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';

describe('problem types', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ storage: new MemoryStorage(), auth: true });
  });
  afterAll(() => api.close());

  it('each is a page the server serves, as HTML and as JSON, to anyone', async () => {
    for (const [name, p] of Object.entries(PROBLEM_TYPES)) {
      const page = await api.client.get(`/problems/${name}`).set('Accept', 'text/html');
      expect(page.status, name).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.text).toContain(`<h1>${p.title.replace(/'/g, '&#39;')}</h1>`);
      const entry = json<{ type: string; status: number }>(await api.client.get(`/problems/${name}`).set('Accept', 'application/json'));
      expect(entry).toMatchObject({ type: `/problems/${name}`, status: p.status });
    }
    const index = json<{ problems: { name: string }[] }>(await api.client.get('/problems').set('Accept', 'application/json'));
    expect(index.problems.map((p) => p.name)).toEqual(Object.keys(PROBLEM_TYPES));
    expectProblem(await api.client.get('/problems/no-such-problem'), 404);
  });

  it('the engine\'s own refusals name them too (no about:blank)', async () => {
    const unauthenticated = await api.client.get('/repos/x');
    expect(json<{ type: string }>(unauthenticated).type).toBe('/problems/unauthenticated');
    const notAllowed = await api.client.patch('/problems');
    expect(json<{ type: string }>(notAllowed).type).toBe('/problems/method-not-allowed');
    const nowhere = await api.client.get('/no/such/route');
    expect(json<{ type: string }>(nowhere).type).toBe('/problems/not-found');
  });

  it('docs/api.md lists every one, with its status', () => {
    const markdown = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    for (const [name, p] of Object.entries(PROBLEM_TYPES)) expect(markdown, name).toMatch(new RegExp(`\\| \`/problems/${name}\` \\| ${p.status} \\|`));
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
