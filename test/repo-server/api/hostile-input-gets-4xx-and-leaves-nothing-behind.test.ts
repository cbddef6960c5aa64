/**
 * Hostile input through every door of the REST API: traversal in every path parameter and query
 * parameter (raw, percent-encoded, double-encoded, backslashes, NUL, Unicode look-alikes, .git
 * segments), header injection, oversized headers, URIs and bodies (announced and chunked), invalid
 * UTF-8, malformed and mistyped JSON. Each gets a 4xx (problem+json where the engine answers),
 * storage is byte-for-byte unchanged afterwards, and the service keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, expectProblem, writeFile } from './helpers/fixtures.js';
import { type ApiClient, type ApiHarness, startApi } from './helpers/harness.js';
import { undocumentedObservations } from './helpers/observed.js';
import { type RawResponse, rawExchange, rawRequest, statusOf } from './helpers/raw-http.js';
import { digestChanges, storageDigest } from './helpers/storage-digest.js';
import { STORAGE_FACTORIES, type StorageHandle } from './helpers/storages.js';

const LIMIT = 64 * 1024;

/** [label, the parameter as it is put into the request-target]. */
const PAYLOADS: [string, string][] = [
  ['raw ..', '..'],
  ['percent-encoded ..', '%2e%2e'],
  ['percent-encoded .. (upper case)', '%2E%2E'],
  ['half-encoded ..', '.%2e'],
  ['double-encoded ..', '%252e%252e'],
  ['encoded slashes', '..%2f..%2fetc'],
  ['encoded backslashes', '..%5c..%5cetc'],
  ['raw backslashes', '..\\..\\etc'],
  ['NUL', 'a%00b'],
  ['fullwidth full stops', '%EF%BC%8E%EF%BC%8E'],
  ['two dot leader', '%E2%80%A5'],
  ['one dot leaders', '%E2%80%A4%E2%80%A4'],
  ['.git', '.git'],
  ['.GIT', '.GIT'],
  ['.git with a trailing dot', '.git.'],
  ['8.3 short name of .git', 'git~1'],
  ['fullwidth .git', '.%EF%BD%87%EF%BD%89%EF%BD%94'],
  ['.git with a zero-width joiner', '.g%E2%80%8Cit'],
  ['CR LF header injection', 'a%0d%0aX-Injected:%20yes'],
];

interface Attempt {
  method: string;
  target: string;
  body?: string;
  type?: string;
}

function decoded(param: string): string {
  try {
    return decodeURIComponent(param.replaceAll('\\', '%5c'));
  } catch {
    return param;
  }
}

/** The documented rule for repository names; a payload that satisfies it is a name like any other. */
function validRepoName(x: string): boolean {
  return /^[A-Za-z0-9._-]{1,100}$/.test(x) && !x.toLowerCase().endsWith('.git') && x !== '.' && x !== '..';
}

/** The one repository this suite writes to on purpose (the at-limit body). */
const OWN_WRITES = 'limits';

/** Every place a name or path reaches the server, for reading and for writing. */
function attempts(x: string): Attempt[] {
  const json = 'application/json';
  const asRepo: Attempt[] = validRepoName(x)
    ? []
    : [
        { method: 'GET', target: `/repos/${x}` },
        { method: 'PUT', target: `/repos/${x}`, body: '{}', type: json },
        { method: 'GET', target: `/repos/${x}/contents/a.md` },
        { method: 'GET', target: `/repos/${x}/branches` },
      ];
  return [
    ...asRepo,
    { method: 'GET', target: `/repos/r/contents/${x}` },
    { method: 'GET', target: `/repos/r/contents/${x}/a.md` },
    { method: 'PUT', target: `/repos/r/contents/${x}`, body: 'evil', type: 'text/plain' },
    { method: 'PUT', target: `/repos/r/contents/${x}/evil.md`, body: 'evil', type: 'text/plain' },
    { method: 'PUT', target: `/repos/r/contents/sub/${x}/evil.md`, body: 'evil', type: 'text/plain' },
    { method: 'DELETE', target: `/repos/r/contents/${x}` },
    { method: 'GET', target: `/repos/r/branches/${x}` },
    { method: 'PUT', target: `/repos/r/branches/${x}`, body: '{"from":"main"}', type: json },
    { method: 'PUT', target: `/repos/r/tags/${x}`, body: '{"ref":"main","message":"m"}', type: json },
    { method: 'GET', target: `/repos/r/tags/${x}` },
    { method: 'GET', target: `/repos/r/commits/${x}` },
    { method: 'GET', target: `/repos/r/compare/${x}...main` },
    { method: 'GET', target: `/repos/r/compare/main...${x}` },
    { method: 'GET', target: `/repos/r/archive/${x}.zip` },
    { method: 'GET', target: `/repos/r/contents/a.md?ref=${x}` },
    { method: 'GET', target: `/repos/r/commits?path=${x}` },
    { method: 'PUT', target: `/repos/r/contents/q.md?branch=${x}`, body: 'evil', type: 'text/plain' },
    { method: 'POST', target: '/repos/r/commits', body: JSON.stringify({ branch: 'main', message: 'm', changes: [{ path: `${decoded(x)}/evil.md`, content: 'x' }] }), type: json },
    { method: 'POST', target: '/repos/r/commits', body: JSON.stringify({ branch: decoded(x), message: 'm', changes: [{ path: 'evil.md', content: 'x' }] }), type: json },
    { method: 'POST', target: '/repos/r/merges', body: JSON.stringify({ base: decoded(x), head: 'main' }), type: json },
    { method: 'PUT', target: '/repos/r/settings', body: JSON.stringify({ protectedBranches: [decoded(x)] }), type: json },
  ];
}

/** What is wrong with a response to hostile input, or null when it is a proper refusal. */
function refusalProblem(a: Attempt, res: RawResponse): string | null {
  const what = `${a.method} ${a.target}${a.body === undefined ? '' : ` ${a.body}`} -> ${res.status}`;
  if (a.method === 'PUT' && a.target === '/repos/r/settings' && res.status === 200) {
    // A protected-branch pattern is data, not a name that reaches storage; refusing it is optional.
    return null;
  }
  if (a.target.startsWith('/repos/r/commits?path=') && res.status === 200 && /"commits":\[\]/.test(res.body)) {
    // A history filter by a name nothing ever had is an empty page, which reveals and changes nothing.
    return null;
  }
  if (res.status < 400 || res.status >= 500) return what;
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) return `${what} (${String(res.headers['content-type'])}, not problem+json)`;
  if (res.headers['x-injected'] !== undefined) return `${what} (header injected)`;
  return null;
}

describe.each(STORAGE_FACTORIES)('hostile input on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;
  let before: Map<string, string>;

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage, maxBodyBytes: LIMIT });
    await createRepo(api.client, 'r');
    await writeFile(api.client, 'r', 'a.md', 'the original');
    before = await storageDigest(api.storage);
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it.each(PAYLOADS)('traversal and look-alikes in every parameter are refused with a 4xx problem: %s', async (_label, x) => {
    const wrong: string[] = [];
    for (const a of attempts(x)) {
      const res = await rawRequest(api.url, a.method, a.target, a.type === undefined ? {} : { 'Content-Type': a.type }, a.body);
      const problem = refusalProblem(a, res);
      if (problem !== null) wrong.push(problem);
    }
    expect(wrong).toEqual([]);
  });

  it('invalid UTF-8 in a path parameter is a 400 problem, without internals in the body', async () => {
    for (const target of ['/repos/r/contents/%FF%FE', '/repos/%C0%AE%C0%AE', '/repos/r/branches/%C3%28', '/repos/r/contents/ok/%ED%A0%80.md']) {
      for (const method of ['GET', 'PUT']) {
        const res = await rawRequest(api.url, method, target, { 'Content-Type': 'text/plain' }, method === 'PUT' ? 'x' : undefined);
        expect(res.status, `${method} ${target}`).toBe(400);
        expect(res.headers['content-type'], `${method} ${target}`).toMatch(/^application\/problem\+json/);
        expect(res.body, `${method} ${target}`).not.toMatch(/node_modules|URIError|at .*\.(js|ts):\d+/);
      }
    }
  });

  it('an unknown path is a 404 problem', async () => {
    for (const target of ['/nope', '/repos/r/unknown', '/repos/r/contents-not', '/admin']) {
      const res = await rawRequest(api.url, 'GET', target);
      expect(res.status, target).toBe(404);
      expect(res.headers['content-type'], target).toMatch(/^application\/problem\+json/);
    }
  });

  it('header injection through values the server echoes is impossible: CR LF never reaches a response header', async () => {
    // Names with CR LF are refused before any Location or ETag is built from them.
    for (const target of ['/repos/r/branches/x%0d%0aSet-Cookie:%20a=b', '/repos/r/tags/x%0d%0aSet-Cookie:%20a=b', '/repos/x%0d%0aSet-Cookie:%20a=b']) {
      const res = await rawRequest(api.url, 'PUT', target, { 'Content-Type': 'application/json' }, '{"from":"main","ref":"main","message":"m"}');
      expect(res.status, target).toBe(400);
      expect(res.headers['set-cookie'], target).toBeUndefined();
    }
    // A raw CR inside a request header is a malformed request: Node refuses it with 400.
    const reply = await rawExchange(api.url, 'GET /repos/r HTTP/1.1\r\nHost: x\r\nX-Evil: a\rInjected: b\r\nConnection: close\r\n\r\n');
    expect(statusOf(reply)).toBe(400);
    // Content-Length and Transfer-Encoding together (request smuggling) are refused too.
    const smuggle = await rawExchange(
      api.url,
      'PUT /repos/r/contents/smuggled.md HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /repos/r HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(statusOf(smuggle)).toBe(400);
  });

  it('oversized request headers are 431 (Node), an oversized URI 414', async () => {
    const big = await rawExchange(api.url, `GET /repos/r HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`);
    expect(statusOf(big)).toBe(431);
    const many = await rawExchange(api.url, `GET /repos/r HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\nConnection: close\r\n\r\n`);
    expect([400, 431]).toContain(statusOf(many));
    const uri = await rawRequest(api.url, 'GET', `/repos/r/contents/${'a'.repeat(9000)}`);
    expect(uri.status).toBe(414);
    expect(uri.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('bodies over the limit are 413 before anything is written: announced, chunked, JSON, and with Expect: 100-continue', async () => {
    const oversized = 'x'.repeat(LIMIT + 1);
    const announced = await rawRequest(api.url, 'PUT', '/repos/r/contents/big.bin', { 'Content-Type': 'application/octet-stream' }, oversized);
    expect(announced.status).toBe(413);
    expect(announced.headers['content-type']).toMatch(/^application\/problem\+json/);
    const chunked = await rawRequest(api.url, 'PUT', '/repos/r/contents/big.bin', { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' }, oversized);
    expect(chunked.status).toBe(413);
    const jsonBody = JSON.stringify({ branch: 'main', message: 'm', changes: [{ path: 'big.md', content: oversized }] });
    expect((await rawRequest(api.url, 'POST', '/repos/r/commits', { 'Content-Type': 'application/json' }, jsonBody)).status).toBe(413);
    // With Expect: 100-continue the client learns 413 without uploading anything.
    const reply = await rawExchange(
      api.url,
      `PUT /repos/r/contents/big.bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${100 * LIMIT}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(reply)).toBe(413);
    expect(reply).not.toMatch(/^HTTP\/1\.1 100/);
    // A body just at the limit is fine. It goes to a repository of its own, which the
    // byte-for-byte check below leaves out: this write is meant to land.
    await createRepo(api.client, OWN_WRITES);
    expect((await rawRequest(api.url, 'PUT', `/repos/${OWN_WRITES}/contents/at-limit.bin`, { 'Content-Type': 'application/octet-stream' }, 'y'.repeat(LIMIT))).status).toBe(201);
  });

  it('malformed JSON, wrong types, prototype pollution and absurd nesting are 400 at every JSON endpoint', async () => {
    const bodies = [
      '{"description": ',
      '[]',
      '"a string"',
      'null',
      '{"__proto__": {"admin": true}}',
      '{"constructor": {"prototype": {"admin": true}}}',
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      '{"description": 1e999999}',
      '\uFEFF{}x',
    ];
    const endpoints: [string, string][] = [
      ['PUT', '/repos/r'],
      ['PUT', '/repos/r/branches/main'],
      ['POST', '/repos/r/commits'],
      ['PUT', '/repos/r/tags/v-hostile'],
      ['PUT', '/repos/r/settings'],
      ['POST', '/repos/r/merges'],
    ];
    const wrong: string[] = [];
    for (const [method, target] of endpoints) {
      for (const body of bodies) {
        // Moving a branch needs a precondition (428 otherwise); If-Match: * passes it, so the body is read.
        const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(target.includes('/branches/') ? { 'If-Match': '*' } : {}) };
        const res = await rawRequest(api.url, method, target, headers, body);
        if (res.status !== 400 || !String(res.headers['content-type']).startsWith('application/problem+json')) wrong.push(`${method} ${target} ${body.slice(0, 40)} -> ${res.status}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('text that is not well-formed Unicode (a lone surrogate) in any JSON field is a 400 problem, never stored', async () => {
    const lone = '\\ud800';
    const cases: [string, string, string, Record<string, string>?][] = [
      ['POST', '/repos/r/commits', `{"branch":"${lone}","message":"m","changes":[{"path":"a.md","content":"x"}]}`],
      ['POST', '/repos/r/commits', `{"branch":"main","message":"m${lone}","changes":[{"path":"a.md","content":"x"}]}`],
      ['POST', '/repos/r/commits', `{"branch":"main","message":"m","changes":[{"path":"a${lone}.md","content":"x"}]}`],
      ['POST', '/repos/r/commits', `{"branch":"main","message":"m","author":{"name":"${lone}","email":"e@x"},"changes":[{"path":"a.md","content":"x"}]}`],
      ['PUT', '/repos/r/branches/fresh', `{"from":"${lone}"}`],
      ['PUT', '/repos/r/tags/v-lone', `{"ref":"${lone}","message":"m"}`],
      ['POST', '/repos/r/merges', `{"base":"${lone}","head":"main"}`],
      ['POST', '/repos/r/merges', `{"base":"main","head":"${lone}"}`],
      ['PUT', '/repos/r', `{"defaultBranch":"${lone}"}`],
      ['PUT', '/repos/r', `{"description":"${lone}"}`],
      ['PUT', '/repos/r', `{"${lone}":"key"}`],
    ];
    for (const [method, target, body] of cases) {
      const res = await rawRequest(api.url, method, target, { 'Content-Type': 'application/json' }, body);
      expect(res.status, `${method} ${target} ${body}`).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toContain('well-formed Unicode');
    }
    // The default branch is still readable and writable afterwards.
    expect((await api.client.get('/repos/r/branches/main')).status).toBe(200);
  });

  it('a path deeper than 256 folders is a 400 problem (2,000 folders: no stack overflow)', async () => {
    for (const depth of [257, 2_000]) {
      const body = JSON.stringify({ branch: 'main', message: 'm', changes: [{ path: `${'d/'.repeat(depth)}f.md`, content: 'x' }] });
      const res = await rawRequest(api.url, 'POST', '/repos/r/commits', { 'Content-Type': 'application/json' }, body);
      expect(res.status, `depth ${depth}: ${res.body}`).toBe(400);
      expect(res.body).toContain('deeper than 256 folders');
    }
  });

  it('storage is byte-for-byte what it was before the hostile requests', async () => {
    // Creating OWN_WRITES is also announced in the service's event log (for webhooks).
    const changes = digestChanges(before, await storageDigest(api.storage)).filter((line) => !line.includes(` ${OWN_WRITES}:`) && !/ system\.git:\/events\//.test(line));
    expect(changes).toEqual([]);
  });

  it('the service keeps answering', async () => {
    const client: ApiClient = api.client;
    const res = await client.get('/repos/r/contents/a.md');
    expect(res.status).toBe(200);
    expect(res.text).toBe('the original');
    expect((await client.get('/healthz')).status).toBe(200);
  });
});

describe.each(STORAGE_FACTORIES)('refs that would be folders of each other on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage, maxBodyBytes: LIMIT });
    await createRepo(api.client, 'c');
    await writeFile(api.client, 'c', 'a.md', 'a');
    expect((await api.client.put('/repos/c/branches/dfr/child').set('Content-Type', 'application/json').send({ from: 'main' })).status).toBe(201);
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('a branch that is a folder of branches reads as missing, and creating it is a 409 naming the other', async () => {
    const before = await storageDigest(api.storage);
    expect((await api.client.get('/repos/c/branches/dfr')).status).toBe(404);
    expect((await api.client.get('/repos/c/contents/a.md?ref=dfr')).status).toBe(404);
    const created = await api.client.put('/repos/c/branches/dfr').set('Content-Type', 'application/json').send({ from: 'main' });
    expectProblem(created, 409);
    expect(JSON.parse(created.text)).toMatchObject({ ref: 'refs/heads/dfr', conflictsWith: 'refs/heads/dfr/child' });
    const below = await api.client.put('/repos/c/branches/main/sub').set('Content-Type', 'application/json').send({ from: 'main' });
    expectProblem(below, 409);
    expect(JSON.parse(below.text)).toMatchObject({ conflictsWith: 'refs/heads/main' });
    const tag = await api.client.put('/repos/c/tags/dfr/child/deeper').set('Content-Type', 'application/json').send({ ref: 'main', message: 'm' });
    expect(tag.status).toBe(201);
    const tagAbove = await api.client.put('/repos/c/tags/dfr').set('Content-Type', 'application/json').send({ ref: 'main', message: 'm' });
    expectProblem(tagAbove, 409);
    await api.client.delete('/repos/c/tags/dfr/child/deeper');
    const commit = await api.client
      .post('/repos/c/commits')
      .set('Content-Type', 'application/json')
      .send({ branch: 'dfr', message: 'm', changes: [{ path: 'b.md', content: 'b' }] });
    expect([404, 409]).toContain(commit.status);
    expect(digestChanges(before, await storageDigest(api.storage)).filter((l) => !l.includes('refs/tags/dfr/child/deeper') && !l.includes('/objects/') && !l.includes('/events/'))).toEqual([]);
  });

  it('branches and the repository still read and write', async () => {
    expect((await api.client.get('/repos/c/branches/dfr/child')).status).toBe(200);
    expect((await api.client.get('/repos/c/branches')).status).toBe(200);
    await writeFile(api.client, 'c', 'b.md', 'b', { branch: 'dfr/child' });
  });
});

describe.each(STORAGE_FACTORIES)('hostile names with access control on $name storage', (factory) => {
  let handle: StorageHandle;
  let api: ApiHarness;

  beforeAll(async () => {
    handle = await factory.create();
    api = await startApi({ storage: handle.storage, auth: true });
    await createRepo(api.as(await api.token('root', { global: 'admin' })), 'r');
  });
  afterAll(async () => {
    await api.close();
    await handle.dispose();
  });

  it('an invalid repository name is a 4xx for every caller, never a 500', async () => {
    const reader = await api.token('reader', { repos: { r: 'read' } });
    const wrong: string[] = [];
    const callers: Record<string, string>[] = [{}, { Authorization: `Bearer ${reader}` }];
    for (const headers of callers) {
      for (const name of ['a%20b', '..', '%2e%2e', 'x.git', 'a%00b', 'semi%3Bcolon']) {
        for (const target of [`/repos/${name}`, `/repos/${name}/contents/a.md`, `/repos/${name}/settings`]) {
          const res = await rawRequest(api.url, 'GET', target, headers);
          if (res.status < 400 || res.status >= 500) wrong.push(`${'Authorization' in headers ? 'reader' : 'anonymous'} GET ${target} -> ${res.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('token ids with traversal are 404 to an admin, and nothing is revoked', async () => {
    const admin = await api.token('admin2', { global: 'admin' });
    for (const id of ['..', '%2e%2e', '..%2f..%2ftokens', 'a%00b']) {
      const res = await rawRequest(api.url, 'DELETE', `/admin/tokens/${id}`, { Authorization: `Bearer ${admin}` });
      expect(res.status, id).toBe(404);
    }
    expect((await api.as(admin).get('/admin/tokens')).status).toBe(200);
  });
});

it('every response these tests saw is documented in /openapi.json', () => {
  expect(undocumentedObservations()).toEqual([]);
});
