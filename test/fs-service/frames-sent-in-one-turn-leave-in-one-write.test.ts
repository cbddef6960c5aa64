/**
 * Shard traffic under load is many small frames on one connection. Frames sent in the same turn
 * of the event loop must leave in one write (one system call), in order, and none may be held
 * back past that turn.
 */
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { sendCoalesced } from '../../fs-service/wire/coalesced-send.js';

describe('sendCoalesced', () => {
  let server: WebSocketServer;
  let client: WebSocket;
  const received: string[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.on('connection', (ws) => ws.on('message', (data: Buffer) => received.push(data.toString())));
    client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    await new Promise<void>((resolve, reject) => {
      client.once('open', () => resolve());
      client.once('error', reject);
    });
  });

  afterAll(async () => {
    client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function countWrites(): { writes: number; restore: () => void } {
    const socket = (client as unknown as { _socket: Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } })._socket;
    const counter = { writes: 0, restore: () => undefined as void };
    const write = socket._write;
    const writev = socket._writev;
    socket._write = function (...a: unknown[]) {
      counter.writes++;
      return write.apply(this, a);
    };
    socket._writev = function (...a: unknown[]) {
      counter.writes++;
      return writev.apply(this, a);
    };
    counter.restore = () => {
      socket._write = write;
      socket._writev = writev;
    };
    return counter;
  }

  const until = async (done: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  };

  it('sends 50 frames of one turn in one write, in order', async () => {
    received.length = 0;
    const counter = countWrites();
    for (let i = 0; i < 50; i++) sendCoalesced(client, Buffer.from(`frame ${i}`));
    expect(counter.writes).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(counter.writes).toBe(1);
    counter.restore();
    await until(() => received.length === 50);
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `frame ${i}`));
  });

  it('holds nothing past the turn: a frame sent in a later turn leaves in its own write', async () => {
    received.length = 0;
    const counter = countWrites();
    sendCoalesced(client, Buffer.from('first'));
    await new Promise((r) => setImmediate(r));
    sendCoalesced(client, Buffer.from('second'));
    await new Promise((r) => setImmediate(r));
    expect(counter.writes).toBe(2);
    counter.restore();
    await until(() => received.length === 2);
    expect(received).toEqual(['first', 'second']);
  });
});
