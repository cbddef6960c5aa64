import { expect } from 'vitest';
import type request from 'supertest';
import type { ApiClient } from './harness.js';

/** RFC 9457: an error is application/problem+json with at least type, title and status. */
export function expectProblem(res: request.Response, status: number): void {
  expect(res.status, `${res.status} ${res.text}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as { type?: unknown; title?: unknown; status?: unknown };
  expect(body.status).toBe(status);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
}

export function json<T>(res: request.Response): T {
  return JSON.parse(res.text) as T;
}

/** The quoted value of an ETag without the quotes (a weak tag keeps its W/ marker). */
export function etagValue(res: request.Response): string | undefined {
  const tag = res.headers.etag as string | undefined;
  return tag === undefined ? undefined : tag.replace(/^"(.*)"$/, '$1');
}

export async function createRepo(client: ApiClient, name: string, body: Record<string, unknown> = {}): Promise<void> {
  const res = await client.put(`/repos/${name}`).set('Content-Type', 'application/json').send(body);
  expect(res.status, res.text).toBe(201);
}

export interface Written {
  status: number;
  blob: string;
  commit: string;
}

/** PUT contents: one commit; answers the new blob id and the commit that made it. */
export async function writeFile(client: ApiClient, repo: string, path: string, content: string | Buffer, query: Record<string, string> = {}): Promise<Written> {
  const qs = new URLSearchParams({ message: `write ${path}`, ...query }).toString();
  const res = await client.put(`/repos/${repo}/contents/${path}?${qs}`).set('Content-Type', 'application/octet-stream').send(content);
  expect([200, 201], res.text).toContain(res.status);
  const body = json<{ id: string; commit: string }>(res);
  return { status: res.status, blob: body.id, commit: body.commit };
}

export async function branchHead(client: ApiClient, repo: string, branch: string): Promise<string> {
  const res = await client.get(`/repos/${repo}/branches/${branch}`);
  expect(res.status, res.text).toBe(200);
  return json<{ commit: string }>(res).commit;
}

/** A raw binary response body as a Buffer (supertest only buffers text types by default). */
export function binary(test: request.Test): request.Test {
  return test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}
