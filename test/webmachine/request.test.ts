/**
 * The request as resources see it: header access, the request-target as a URL (robust against
 * odd targets and Host values), lengths; plus the accept helper's view of Content-Type.
 */
import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentTypesProvided, Resource, resource } from '../../webmachine/index.js';
import { EngineHarness, type Exchange } from './support.js';

const harness = new EngineHarness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

/** Answers what the resource saw of the request, as JSON. */
function seen(x: Exchange): Record<string, unknown> {
  return JSON.parse(x.text) as Record<string, unknown>;
}
const echo = {
  allowedMethods: ['GET', 'PUT', 'OPTIONS'],
  contentTypesProvided: (r: Resource): ContentTypesProvided => [
    [
      'application/json',
      () =>
        JSON.stringify({
          method: r.request.method,
          path: r.request.path,
          host: r.request.url.host,
          q: r.request.query.get('q'),
          raw: r.request.rawUrl,
          accept: r.request.header('Accept'),
          cookie: r.request.header('set-cookie'),
          missing: r.request.header('x-missing') ?? null,
          length: r.request.contentLength ?? null,
          hasBody: r.request.hasBody,
          viaHeaders: r.request.headers['x-test'] ?? null,
        }),
    ],
  ],
};

/** Sends raw bytes, answers the raw response text. */
async function rawExchange(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  socket.end(text);
  let answer = '';
  for await (const chunk of socket) answer += String(chunk);
  return answer;
}

describe('Request', () => {
  it('exposes method, path, query, raw target and headers (case-insensitive names, repeated fields joined)', async () => {
    const x = await harness.exchange(echo, { path: '/a/b?q=1&r=2', headers: { accept: 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-test': 'yes' } });
    expect(seen(x)).toEqual({
      method: 'GET',
      path: '/a/b',
      host: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      q: '1',
      raw: '/a/b?q=1&r=2',
      accept: 'application/json',
      cookie: 'a=1, b=2',
      missing: null,
      length: null,
      hasBody: false,
      viaHeaders: 'yes',
    });
  });

  it('knows whether a body comes: by Content-Length, or by Transfer-Encoding', async () => {
    const sized = await harness.exchange({ ...echo, contentTypesAccepted: [['text/plain', () => true]] }, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'four' });
    expect(sized.status).toBe(204);
    const checks: [Record<string, string>, string | undefined, boolean, number | null][] = [
      [{ 'content-length': '0' }, '', false, 0],
      [{ 'content-length': '4' }, 'four', true, 4],
      [{ 'transfer-encoding': 'chunked' }, 'four', true, null],
    ];
    for (const [headers, body, hasBody, length] of checks) {
      const x = await harness.exchange(echo, { method: 'GET', headers, body });
      expect([seen(x).hasBody, seen(x).length]).toEqual([hasBody, length]);
    }
  });

  it('keeps a target starting with // as a path, and survives an invalid Host', async () => {
    const x = await harness.exchange(echo, { path: '//evil.example/x' });
    expect([seen(x).path, seen(x).host]).toEqual(['//evil.example/x', expect.stringMatching(/^127\.0\.0\.1:/)]);
    const bad = await harness.exchange(echo, { path: '/p', headers: { host: 'exa mple' } });
    expect([bad.status, seen(bad).host]).toEqual([200, 'localhost']);
  });

  it('takes absolute-form targets as they are, and maps asterisk-form to /', async () => {
    const port = harness.port;
    harness.install(echo);
    const absolute = await rawExchange(port, 'GET http://other.example:81/abs?q=9 HTTP/1.1\r\nHost: other.example:81\r\nConnection: close\r\n\r\n');
    expect(absolute).toMatch(/"path":"\/abs","host":"other\.example:81","q":"9"/);
    harness.install({ ...echo, options: (r) => ({ 'X-Path': `${r.request.rawUrl} -> ${r.request.path}` }) });
    const asterisk = await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(asterisk).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(asterisk).toMatch(/Allow: GET, PUT, OPTIONS/i);
    expect(asterisk).toMatch(/X-Path: \* -> \//i);
  });

  it('without Host (HTTP/1.0), Location falls back to localhost', async () => {
    const port = harness.port;
    harness.install({ allowedMethods: ['POST'], postIsCreate: true, createPath: 'n', contentTypesAccepted: [['text/plain', () => true]] });
    const answer = await rawExchange(port, 'POST /c HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx');
    expect(answer).toMatch(/^HTTP\/1\.1 201 Created/);
    expect(answer).toMatch(/Location: http:\/\/localhost\/c\/n/i);
  });
});

describe('Express route parameters', () => {
  it('a wildcard parameter reaches the resource as the joined path', async () => {
    class Files extends Resource {
      override contentTypesProvided(): ContentTypesProvided {
        return [['text/plain', () => `${this.request.params.id}:${this.request.params.path}`]];
      }
    }
    const app = express();
    app.get('/repos/:id/files/{*path}', resource((init) => new Files(init)));
    const res = await request(app).get('/repos/r1/files/docs/guide/intro.md');
    expect(res.text).toBe('r1:docs/guide/intro.md');
  });
});

describe('the accept helper', () => {
  const take = (type: string) => ({ allowedMethods: ['PUT'], contentTypesAccepted: [[type, () => true] as const] });
  it.each([
    ['an exact type, parameters ignored', 'application/json', 'Application/JSON; charset=utf-8', 204],
    ['a type/* entry', 'text/*', 'text/markdown', 204],
    ['a */* entry', '*/*', 'image/png', 204],
    ['a type/* entry of another type', 'text/*', 'image/png', 415],
    ['no Content-Type means application/octet-stream', 'application/octet-stream', undefined, 204],
    ['an empty Content-Type means application/octet-stream', 'application/octet-stream', '', 204],
  ])('%s', async (_name, accepted, sent, status) => {
    const headers: Record<string, string> = sent === undefined ? {} : { 'content-type': sent };
    const x = await harness.exchange(take(accepted), { method: 'PUT', headers, body: 'x' });
    expect(x.status).toBe(status);
  });

  it('the default content_types_accepted takes nothing: 415', async () => {
    const x = await harness.exchange({ allowedMethods: ['PUT'] }, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect([x.status, JSON.parse(x.text).accepted]).toEqual([415, []]);
  });
});

describe('odd answers from callbacks', () => {
  it('a producer that answers undefined: an empty 200, HEAD alike', async () => {
    const get = await harness.exchange({ contentTypesProvided: [['text/plain', () => undefined]] });
    expect([get.status, get.headers['content-length'], get.headers['content-type'], get.text]).toEqual([200, '0', undefined, '']);
    const head = await harness.exchange({ contentTypesProvided: [['text/plain', () => undefined]] }, { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.headers['content-type']]).toEqual([200, undefined, 'text/plain']);
  });

  it('v3 keeps the negotiated Content-Type on a 201 without content (a 204 never has one)', async () => {
    const x = await harness.exchange({ allowedMethods: ['PUT'], contentTypesAccepted: [['text/plain', () => true]] }, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' }, { profile: 'v3' });
    expect([x.status, x.headers['content-type']]).toEqual([204, undefined]);
    const created = await harness.exchange(
      { allowedMethods: ['POST'], postIsCreate: true, createPath: 'x', contentTypesAccepted: [['text/plain', () => true]] },
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' },
      { profile: 'v3' },
    );
    expect([created.status, created.headers['content-type']]).toEqual([201, 'text/html']);
  });

  it('a last_modified in the future is clamped to now (never later than Date)', async () => {
    const x = await harness.exchange({ lastModified: new Date(Date.now() + 86_400_000) });
    expect(Date.parse(x.headers['last-modified']!)).toBeLessThanOrEqual(Date.parse(x.headers.date!));
  });

  it('a client that goes away mid-body stops the producing stream', async () => {
    let destroyed = false;
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 0x7a));
      },
      destroy(err, cb) {
        destroyed = true;
        cb(err);
      },
    });
    harness.install({ contentTypesProvided: [['text/plain', () => endless]] });
    const socket = connect(harness.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'data');
    socket.destroy();
    await expect.poll(() => destroyed, { timeout: 2000 }).toBe(true);
  });
});

describe('Response and options', () => {
  it('stores header fields case-insensitively and lists them', async () => {
    const { Response } = await import('../../webmachine/index.js');
    const res = new Response();
    res.setHeader('X-One', '1');
    res.setHeader('x-one', '2');
    res.setHeader('Content-Type', 'text/plain');
    expect(res.getHeader('X-ONE')).toBe('2');
    expect(res.headerEntries()).toEqual([
      ['x-one', '2'],
      ['content-type', 'text/plain'],
    ]);
    res.removeHeader('X-One');
    expect([res.hasHeader('x-one'), [...res.fieldEntries()]]).toEqual([false, [['content-type', 'text/plain']]]);
  });

  it('engineOptions fills the defaults; the silent logger swallows every level', async () => {
    const { defaultOptions, engineOptions, silentLogger } = await import('../../webmachine/index.js');
    expect(engineOptions({ trace: true })).toEqual({ ...defaultOptions, trace: true });
    expect(defaultOptions).toMatchObject({ profile: 'rfc', maxBodyBytes: 50 * 1024 * 1024, maxUriBytes: 8 * 1024, trace: false });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) expect(silentLogger[level]({}, 'x')).toBeUndefined();
  });
});
