/**
 * A body over the REST limit is refused with 413 before it is read; the client is still sending.
 * A client that sends its whole body before it reads anything (many HTTP libraries do) must still
 * get to read that 413, so the rest of the body is read and dropped after the answer (nginx's
 * lingering close). Lingering is bounded: a client that keeps sending past the bound is cut off,
 * so a refused upload cannot hold a connection and a reader for ever.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { DEFAULT_LINGER } from '../../../webmachine/index.js';
import { startApi, type ApiHarness } from '../api/helpers/harness.js';

const MiB = 1024 * 1024;

interface NaiveResult {
  statusLine: string;
  sent: number;
  error: string | null;
}

/** Sends headers and `bodyBytes` of body as fast as the socket takes them, reading nothing until done. */
function naivePut(url: string, path: string, bodyBytes: number): Promise<NaiveResult> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.setMaxListeners(0);
    let error: string | null = null;
    let sent = 0;
    const chunks: Buffer[] = [];
    socket.pause();
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve({ statusLine: Buffer.concat(chunks).toString('latin1').split('\r\n')[0] ?? '', sent, error }));
    socket.on('connect', async () => {
      socket.write(`PUT ${path} HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: ${bodyBytes}\r\nConnection: close\r\n\r\n`);
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      while (sent < bodyBytes && error === null && !socket.destroyed) {
        const ok = socket.write(chunk);
        sent += chunk.length;
        if (!ok) await new Promise((r) => (socket.once('drain', r), socket.once('close', r)));
      }
      // Only now does this client read, as a client that writes first and reads after would.
      socket.resume();
      setTimeout(() => socket.destroy(), 10_000).unref();
    });
  });
}

describe('a REST body over the limit', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ storage: new MemoryStorage(), maxBodyBytes: MiB });
    expect((await api.client.put('/repos/r').set('Content-Type', 'application/json').send({})).status).toBe(201);
  });
  afterAll(async () => api?.close());

  it('gets a 413 the client reads after sending all 60 MiB of it', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await naivePut(api.url, '/repos/r/contents/big.txt', 60 * MiB);
      expect(r, `attempt ${i + 1}`).toMatchObject({ statusLine: 'HTTP/1.1 413 Payload Too Large', error: null, sent: 60 * MiB });
    }
  }, 120_000);

  it('is read and dropped only up to the lingering bound: past it the connection is cut', async () => {
    const r = await naivePut(api.url, '/repos/r/contents/bigger.txt', DEFAULT_LINGER.bytes + 64 * MiB);
    expect(r.error, JSON.stringify(r)).toMatch(/EPIPE|ECONNRESET/);
    expect(r.sent).toBeLessThan(DEFAULT_LINGER.bytes + 64 * MiB);
    // Still serving.
    expect((await api.client.get('/repos/r')).status).toBe(200);
  }, 120_000);
});
