/**
 * A subscriber that stops reading must not make the server buffer without bound: it is cut off
 * with close code 1013 (try again later, with `since`). A peer that stops answering pings is
 * dropped by the heartbeat.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { createRepoService } from '../../../repo-server/domain/index.js';
import { EventBus } from '../../../repo-server/events/event-bus.js';
import { EventFeed } from '../../../repo-server/events/event-feed.js';
import { attachEventSocket, CLOSE_SLOW_CONSUMER } from '../../../repo-server/events/websocket.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { applyRefUpdates } from '../../../repo-server/git/refs/ref-update.js';
import type { RunningServer } from '../../../repo-server/server.js';
import { createRepo } from '../api/helpers/fixtures.js';
import { startFrontEnd } from '../api/helpers/front-end.js';
import { apiClient } from '../api/helpers/harness.js';
import { RawWebSocket } from '../api/helpers/raw-websocket.js';

/** Events are made big (a long actor name) so that a few thousand fill every buffer on the way. */
const ACTOR = 'a'.repeat(4000);
const BATCH = 500;
const MiB = 1024 * 1024;

/** Appends `count` ref updates to the repository's event log through the one ref-update path. */
async function feedEvents(storage: MemoryStorage, events: EventBus, repo: string, tag: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const updates = Array.from({ length: Math.min(BATCH, count - done) }, (_, i) => ({ ref: `refs/heads/load/${tag}-${done + i}`, old: null, new: 'a'.repeat(40) }));
    await applyRefUpdates(storage.repo(repo), updates, { actor: ACTOR, via: 'rest', events });
    // Let the feed deliver between batches, as it would between real pushes.
    await new Promise((r) => setTimeout(r, 30));
  }
}

describe('a slow consumer on a real front end', () => {
  const storage = new MemoryStorage();
  let server: RunningServer;

  beforeAll(async () => {
    server = await startFrontEnd(storage, { auth: false });
    await createRepo(apiClient(server.url), 'slow');
  });
  afterAll(async () => {
    await server.close(100);
    await storage.close();
  });

  it('is cut off with close code 1013, and what was held for it stays bounded while events keep coming', async () => {
    const raw = await RawWebSocket.open(server.url, '/events?repo=slow');
    expect(await raw.until(() => raw.messages().some((m) => m.type === 'subscribed'), 5000)).toBe(true);
    raw.socket.pause();
    // About 2 x 6.5 MiB of events: far more than the 1 MiB limit plus what the kernel buffers.
    await feedEvents(storage, server.events, 'slow', 'first', 1500);
    await feedEvents(storage, server.events, 'slow', 'second', 1500);
    const fedBytes = 3000 * ACTOR.length;

    raw.socket.resume();
    expect(await raw.until(() => raw.ended, 10_000)).toBe(true);
    // Everything ever held for this client (Node's buffers and the kernel's) is what it could read.
    expect(raw.bytesAfterHandshake).toBeLessThan(8 * MiB);
    expect(raw.bytesAfterHandshake).toBeLessThan(fedBytes / 2);
    expect(raw.closeCode()).toBe(CLOSE_SLOW_CONSUMER);

    // Cut off, it can come back with since and is served again.
    const seen = raw.messages().filter((m) => m.type === 'ref-updated');
    const last = Number(seen[seen.length - 1]?.seq ?? 0);
    const again = await RawWebSocket.open(server.url, `/events?repo=slow&since=${last}`);
    expect(await again.until(() => again.messages().some((m) => m.type === 'subscribed'), 5000)).toBe(true);
    again.destroy();
  });
});

describe('heartbeats (attachEventSocket with a short interval)', () => {
  const storage = new MemoryStorage();
  const bus = new EventBus();
  let http: Server;
  let feed: EventFeed;
  let sockets: ReturnType<typeof attachEventSocket>;
  let base: string;

  beforeAll(async () => {
    const service = createRepoService({ storage, events: bus });
    expect((await service.createRepository('hb')).ok).toBe(true);
    http = createServer((_req, res) => res.writeHead(404).end());
    feed = new EventFeed(storage, bus, 50);
    sockets = attachEventSocket(http, { feed, service, logger: createLogger('silent'), heartbeatMs: 100 });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await sockets.close();
    feed.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  it('a live client is pinged and stays connected', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/events?repo=hb`);
    let pings = 0;
    ws.on('ping', () => pings++);
    await new Promise((resolve) => ws.once('open', resolve));
    await new Promise((r) => setTimeout(r, 550));
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('a peer that never answers pings is dropped within two intervals or so', async () => {
    const raw = await RawWebSocket.open(base, '/events?repo=hb');
    expect(await raw.until(() => raw.pings() >= 1, 2000)).toBe(true);
    expect(await raw.until(() => raw.ended, 2000)).toBe(true);
    expect(await raw.until(() => sockets.clients() === 0, 1000)).toBe(true);
  });

  it('events reach a subscriber through the same feed', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/events?repo=hb`);
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(JSON.parse(d.toString()).type as string));
    await new Promise((resolve) => ws.once('open', resolve));
    await new Promise((r) => setTimeout(r, 50));
    await applyRefUpdates(storage.repo('hb'), [{ ref: 'refs/heads/x', old: null, new: 'b'.repeat(40) }], { actor: 't', via: 'rest', events: bus });
    const deadline = Date.now() + 3000;
    while (!got.includes('ref-updated') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(got).toContain('ref-updated');
    ws.close();
  });
});
