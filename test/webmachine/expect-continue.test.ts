/**
 * `Expect: 100-continue` (RFC 9110 10.1.1): with createEngineServer the engine, not Node, decides
 * when to send 100 Continue, so a request refused in the B column or by the accept helper
 * (401, 413, 415) never receives it and never uploads its body; an accepted one receives exactly one.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentTypesAccepted, createEngineServer, Resource, resource, type ResourceInit } from '../../webmachine/index.js';
import { closing, listening } from './support.js';

const LIMIT = 1024;
let stored: string[] = [];

class Upload extends Resource {
  constructor(init: ResourceInit) {
    super(init);
  }
  override allowedMethods(): string[] {
    return ['PUT'];
  }
  override isAuthorized(): true | string {
    return this.request.header('authorization') === 'Bearer ok' ? true : 'Bearer realm="upload"';
  }
  override contentTypesAccepted(): ContentTypesAccepted {
    return [
      ['text/plain', async () => (stored.push((await this.request.body()).toString()), true)],
      ['application/x-ignored', () => true], // never reads the body
    ];
  }
}

function app(): express.Express {
  const a = express();
  a.put('/upload', resource((init) => new Upload(init), { maxBodyBytes: LIMIT }));
  return a;
}

interface Result {
  status: number;
  continues: number;
  bodySent: boolean;
}

/** Sends the headers, waits for 100 Continue before sending the body, like curl and browsers do. */
function put(port: number, headers: Record<string, string>, body: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    let continues = 0;
    let bodySent = false;
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: '/upload',
      agent: false,
      headers: { expect: '100-continue', 'content-length': String(Buffer.byteLength(body)), authorization: 'Bearer ok', 'content-type': 'text/plain', ...headers },
    });
    req.on('continue', () => {
      continues++;
      bodySent = true;
      req.end(body);
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode!, continues, bodySent });
        if (!bodySent) req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe.each([
  ['createEngineServer', (a: express.Express) => createEngineServer(a)],
  ['a plain http.Server (Node answers 100 by itself)', (a: express.Express) => createServer(a)],
])('Expect: 100-continue with %s', (name, make) => {
  let server: Server;
  let port: number;
  const engineDecides = name === 'createEngineServer';
  beforeAll(async () => {
    server = make(app());
    port = await listening(server);
  });
  afterAll(() => closing(server));

  it('an accepted request receives exactly one 100 Continue and its body is stored', async () => {
    stored = [];
    const r = await put(port, {}, 'the upload');
    expect(r).toEqual({ status: 204, continues: 1, bodySent: true });
    expect(stored).toEqual(['the upload']);
  });

  it.each([
    ['401 (not authorized)', { authorization: 'Bearer wrong' }, 'x', 401],
    ['413 (Content-Length over the limit)', {}, 'x'.repeat(LIMIT + 1), 413],
    ['415 (Content-Type not accepted)', { 'content-type': 'image/png' }, 'x', 415],
  ])('%s', async (_name, headers, body, status) => {
    stored = [];
    const r = await put(port, headers, body);
    expect(r.status).toBe(status);
    // With the engine deciding, the client never got the go-ahead and never sent the body.
    expect(r.continues).toBe(engineDecides ? 0 : 1);
    expect(stored).toEqual([]);
  });

  it('a resource that never reads the body never asks for it', async () => {
    const r = await put(port, { 'content-type': 'application/x-ignored' }, 'unused');
    expect(r.status).toBe(204);
    expect(r.continues).toBe(engineDecides ? 0 : 1);
  });
});
