/**
 * Request bodies are streamed and read only when a callback asks: 413 is decided from
 * Content-Length before a byte is read, and a chunked body that grows past the limit is cut off
 * (the socket stops being read, nothing is buffered, the connection is closed).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContentTypesAccepted, Resource, resource, type ResourceInit } from '../../webmachine/index.js';
import { closing, listening, memoryLogger, rawRequest } from './support.js';

const LIMIT = 64 * 1024;
let received: Buffer[] = [];
let sockets: Socket[] = [];

class Upload extends Resource {
  constructor(init: ResourceInit) {
    super(init);
  }
  override allowedMethods(): string[] {
    return ['PUT', 'POST'];
  }
  override contentTypesAccepted(): ContentTypesAccepted {
    return [
      [
        'application/octet-stream',
        async () => {
          if (this.request.query.has('first-chunk-only')) {
            const stream = this.request.bodyStream();
            const [first] = (await stream.take(1).toArray()) as Buffer[];
            received.push(first!);
            return true;
          }
          if (this.request.query.has('stream')) {
            const chunks: Buffer[] = [];
            for await (const chunk of this.request.bodyStream()) chunks.push(chunk as Buffer);
            received.push(Buffer.concat(chunks));
          } else {
            received.push(await this.request.body());
            // read twice: memoised
            received.push(await this.request.body());
          }
          return true;
        },
      ],
    ];
  }
  override processPost(): boolean {
    this.request.bodyStream();
    // a second reader is a resource bug
    this.request.bodyStream();
    return true;
  }
}

let server: Server;
let port: number;
const logger = memoryLogger();
beforeAll(async () => {
  const app = express();
  app.use((req, _res, next) => {
    sockets.push(req.socket);
    next();
  });
  app.all('/upload', resource((init) => new Upload(init), { maxBodyBytes: LIMIT, logger }));
  server = createServer(app);
  port = await listening(server);
});
afterAll(() => closing(server));

interface Outcome {
  status?: number;
  connection?: string;
  clientError?: string;
  written: number;
}

/** Streams a chunked body of up to `total` bytes, respecting back-pressure, until the server answers or cuts. */
function chunkedUpload(total: number, path = '/upload'): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { written: 0 };
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        resolve(outcome);
      }
    };
    const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path, agent: false, headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      outcome.status = res.statusCode;
      outcome.connection = res.headers.connection;
      res.resume();
      res.on('end', finish);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      outcome.clientError = err.code ?? err.message;
      finish();
    });
    req.on('close', () => setTimeout(finish, 50));
    const pump = (): void => {
      while (!done && outcome.status === undefined && outcome.written < total) {
        outcome.written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (outcome.written >= total) req.end();
    };
    pump();
  });
}

describe('413', () => {
  it('from Content-Length, before any byte of the body is read, closing the connection', async () => {
    received = [];
    const res = await rawRequest(port, { method: 'PUT', path: '/upload', headers: { 'content-type': 'application/octet-stream', 'content-length': String(LIMIT + 1) }, body: Buffer.alloc(LIMIT + 1) });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body.toString())).toMatchObject({ status: 413, title: 'Payload Too Large', detail: `The request body is larger than the limit of ${LIMIT} bytes.` });
    expect(received).toEqual([]);
  });

  it('from a chunked body growing past the limit: the stream stops reaching the resource, the rest is dropped, the client reads the 413', async () => {
    received = [];
    sockets = [];
    const total = 32 * 1024 * 1024;
    const outcome = await chunkedUpload(total);
    // Lingering (bounded, see linger.ts) reads the rest and drops it, so the client gets its answer.
    expect(outcome.status).toBe(413);
    expect(outcome.connection).toBe('close');
    expect(received).toEqual([]);
    const socket = sockets.at(-1)!;
    expect(socket.bytesRead).toBeLessThan(total + 1024 * 1024);
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.destroyed).toBe(true);
  });

  it('for bodyStream() readers too', async () => {
    received = [];
    const outcome = await chunkedUpload(4 * 1024 * 1024, '/upload?stream');
    expect(outcome.status ?? 413).toBe(413);
    expect(received).toEqual([]);
  });
});

describe('bodies within the limit', () => {
  it('are read whole, chunked or not, and memoised', async () => {
    received = [];
    const body = Buffer.alloc(LIMIT, 0x62);
    const res = await rawRequest(port, { method: 'PUT', path: '/upload', headers: { 'content-type': 'application/octet-stream' }, body });
    expect(res.status).toBe(204);
    expect(received.map((b) => b.length)).toEqual([LIMIT, LIMIT]);
    const chunked = await chunkedUpload(48 * 1024);
    expect(chunked.status).toBe(204);
    expect(received[2]!.length).toBe(48 * 1024);
  });

  it('a streamed reader gets every byte', async () => {
    received = [];
    const res = await rawRequest(port, { method: 'PUT', path: '/upload?stream', headers: { 'content-type': 'application/octet-stream' }, body: 'streamed bytes' });
    expect(res.status).toBe(204);
    expect(received[0]!.toString()).toBe('streamed bytes');
  });

  it('a second bodyStream() is a resource bug: 500', async () => {
    const res = await rawRequest(port, { method: 'POST', path: '/upload', headers: { 'content-type': 'application/octet-stream' }, body: 'x' });
    expect(res.status).toBe(500);
  });

  it('an unread body on an error answer closes the connection; an unread body on success does not', async () => {
    const refused = await rawRequest(port, { method: 'PUT', path: '/upload', headers: { 'content-type': 'text/plain' }, body: 'not taken' });
    expect([refused.status, refused.headers.connection]).toEqual([415, 'close']);
  });
});

describe('readers that stop and clients that go away', () => {
  it('a reader that stops after the first chunk: the rest is discarded as it arrives, never buffered', async () => {
    received = [];
    const outcome = await chunkedUpload(2 * 1024 * 1024, '/upload?first-chunk-only');
    expect(outcome.status).toBe(204);
    expect(received[0]!.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('a client that aborts mid-upload fails the read; the engine logs it', async () => {
    logger.lines.length = 0;
    const req = httpRequest({ host: '127.0.0.1', port, method: 'PUT', path: '/upload', agent: false, headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } });
    req.on('error', () => {});
    req.write(Buffer.alloc(1024));
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await expect.poll(() => logger.lines.find((l) => l.level === 'error')?.msg, { timeout: 2000 }).toBe('resource failed');
    expect(String((logger.lines.find((l) => l.level === 'error')!.obj.err as Error).message)).toMatch(/aborted/);
  });
});
