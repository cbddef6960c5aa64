/**
 * A WebSocket upgrade whose client resets the TCP connection (RST) while the server decides, while
 * it writes its refusal, or after it wrote it, must never end the process: the server is a real
 * `npm start` child process here, and the process guard's counter must stay at zero (the guard
 * keeps a process alive, but each count is a bug the fix at the source should have prevented).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../conformance/helpers/embedded-server.js';

const UPGRADE = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

/** Sends the bytes, then resets the connection after `delayMs` or, with 'after-answer', once the first answer byte arrived. */
function sendThenReset(url: string, bytes: string, when: number | 'after-answer'): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
      if (when === 'after-answer') socket.once('data', () => socket.resetAndDestroy());
      else setTimeout(() => socket.resetAndDestroy(), when);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    setTimeout(() => socket.destroy(), 5_000).unref();
  });
}

async function guardCount(server: EmbeddedServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.metricsToken}` } })).text();
  return [...text.matchAll(/^process_uncaught_errors_total\{kind="\w+"\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe('an upgrade reset by its client (real server process)', () => {
  let server: EmbeddedServer;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    const created = await fetch(`${server.url}/repos/book`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(created.status).toBe(201);
  });
  afterAll(() => server.stop());

  it('the metric of the guard exists and starts at zero', async () => {
    expect(await guardCount(server)).toBe(0);
  });

  it('100 resets in a row, on every refusal path and timing, leave the server answering and the guard untouched', async () => {
    const cases: [string, number | 'after-answer'][] = [];
    const paths = [
      UPGRADE('/nope'),
      UPGRADE('/events?repo=book'),
      UPGRADE('/events?repo=book', `Authorization: Bearer ${server.token}\r\n`),
      UPGRADE('/events?repo=book&ticket=tkt_' + 'x'.repeat(43)),
      UPGRADE('/events?repo=missing&since=1'),
      UPGRADE('/events?repo=book&since=nope'),
    ];
    for (let i = 0; i < 100; i++) cases.push([paths[i % paths.length] as string, ([0, 1, 5, 'after-answer'] as const)[i % 4] as number | 'after-answer']);
    for (const [bytes, when] of cases) await sendThenReset(server.url, bytes, when);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await guardCount(server)).toBe(0);
  });
});
