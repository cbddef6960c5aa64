/**
 * The check every API suite ends with (helpers/observed.ts) is not a formality: a real response
 * passes it, and the same response with one field, header or status wrong fails it, naming what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { createRepo, writeFile } from './helpers/fixtures.js';
import { type ApiHarness, startApi } from './helpers/harness.js';
import { checkObservation, type Observation } from './helpers/observed.js';

describe('the observed-response check', () => {
  let api: ApiHarness;
  let repo: Observation;
  let branches: Observation;
  let missing: Observation;

  const observe = async (path: string): Promise<Observation> => {
    const res = await api.client.get(path);
    return { method: 'get', path, status: res.status, headers: res.headers as Observation['headers'], body: res.text };
  };
  const withBody = (o: Observation, edit: (body: Record<string, unknown>) => void): Observation => {
    const body = JSON.parse(o.body!) as Record<string, unknown>;
    edit(body);
    return { ...o, body: JSON.stringify(body) };
  };

  beforeAll(async () => {
    api = await startApi({ storage: new MemoryStorage() });
    await createRepo(api.client, 'book');
    await writeFile(api.client, 'book', 'ch1.md', '# One');
    repo = await observe('/repos/book');
    branches = await observe('/repos/book/branches?per_page=1');
    missing = await observe('/repos/book/branches/nowhere');
  });
  afterAll(() => api.close());

  it('passes the responses the API really gives', () => {
    expect([repo.status, branches.status, missing.status]).toEqual([200, 200, 404]);
    expect(checkObservation(repo)).toEqual([]);
    expect(checkObservation(branches)).toEqual([]);
    expect(checkObservation(missing)).toEqual([]);
  });

  it('catches a field of the wrong type, a field too many and a field missing', () => {
    expect(checkObservation(withBody(repo, (b) => (b.defaultBranch = 42)))).toEqual([expect.stringMatching(/GET \/repos\/\{repo\} -> 200: body does not match its schema: \/defaultBranch must be string/)]);
    expect(checkObservation(withBody(repo, (b) => (b.owner = 'someone'))).join()).toMatch(/must NOT have additional properties \(owner\)/);
    expect(checkObservation(withBody(repo, (b) => delete b.links)).join()).toMatch(/must have required property 'links'/);
    expect(checkObservation(withBody(branches, (b) => ((b.branches as { commit: string }[])[0]!.commit = 'not-an-id'))).join()).toMatch(/\/branches\/0\/commit must match pattern/);
  });

  it('catches a problem whose type is not one of /problems, and an undocumented status', () => {
    expect(checkObservation(withBody(missing, (b) => (b.type = 'about:blank'))).join()).toMatch(/\/type must match pattern/);
    expect(checkObservation({ ...repo, status: 202 })).toEqual([expect.stringMatching(/GET \/repos\/\{repo\} -> 202 .* is not documented/)]);
  });

  it('catches a required header missing, a header malformed, one undocumented, and a wrong Content-Type', () => {
    const { etag: _etag, ...noEtag } = repo.headers!;
    expect(checkObservation({ ...repo, headers: noEtag })).toEqual(['GET /repos/{repo} -> 200: required header etag is missing']);
    expect(checkObservation({ ...branches, headers: { ...branches.headers, link: '</repos/book/branches?cursor=x>; rel="next"' } }).join()).toMatch(/header link: .* does not match/);
    expect(checkObservation({ ...missing, headers: { ...missing.headers, location: '/elsewhere' } })).toEqual(['GET /repos/{repo}/branches/{branch} -> 404: header location is answered but not documented']);
    expect(checkObservation({ ...repo, headers: { ...repo.headers, 'content-type': 'text/plain' } }).join()).toMatch(/Content-Type text\/plain is not one of application\/json/);
  });
});
