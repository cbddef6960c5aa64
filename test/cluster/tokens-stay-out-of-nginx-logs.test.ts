/**
 * Secrets stay out of logs, through the real cluster (shards, a front end, nginx): the /events
 * WebSocket opens with a one-time ticket instead of the token in its URL; /metrics is not exposed
 * through nginx and, on the front end itself, asks for its own credential; and after all that
 * (including a client that still puts its token in a query string), nginx's access log holds no
 * token, no ticket and no metrics credential: it logs paths without their query.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTicket, openEvents } from '../repo-server/api/helpers/event-socket.js';
import { createRepo, mustPut } from './helpers/api.js';
import { TestCluster } from './helpers/cluster.js';

describe('tokens stay out of nginx\'s access log', () => {
  let cluster: TestCluster;
  const metricsToken = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    // Every process the launcher starts inherits this environment.
    process.env.METRICS_TOKEN = metricsToken;
    cluster = await TestCluster.start({ frontends: 1, name: 'secrets' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('an /events subscription by ticket and /metrics through nginx leave no secret in access.log', async () => {
    const token = cluster.token!;
    const api = { base: cluster.url, auth: cluster.auth };
    await createRepo(api, 'book');
    await mustPut(api, 'book', 'ch1.md', '# One');

    // The WebSocket through nginx, with a ticket; the ticket works once.
    const ticket = await eventTicket(cluster.url, token);
    const sub = await openEvents(cluster.url, { repo: 'book', ticket });
    expect(sub.opened).toBe(true);
    if (sub.opened) {
      await mustPut(api, 'book', 'ch2.md', '# Two');
      expect((await sub.socket.refUpdates(1)).length).toBe(1);
      await sub.socket.close();
    }
    expect((await openEvents(cluster.url, { repo: 'book', ticket })).opened).toBe(false);
    // A client that still sends its token in the URL is refused, and nginx does not log it.
    expect((await openEvents(cluster.url, { repo: 'book', access_token: token })).opened).toBe(false);
    expect((await fetch(`${cluster.url}/repos/book?access_token=${token}`)).status).toBe(401);

    // /metrics: not through nginx, whoever asks; on the front end only with its own credential.
    for (const auth of [`Bearer ${metricsToken}`, `Bearer ${token}`, undefined]) {
      const res = await fetch(`${cluster.url}/metrics`, { headers: auth === undefined ? {} : { authorization: auth } });
      expect(res.status).toBe(404);
    }
    const direct = cluster.frontendUrl(cluster.frontendRoles()[0]!);
    expect((await fetch(`${direct}/metrics`)).status).toBe(401);
    expect((await fetch(`${direct}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const scraped = await fetch(`${direct}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^websockets_active /m);

    // nginx writes a WebSocket's line when it closes; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const text = readFileSync(join(cluster.dir, 'nginx', 'logs', 'access.log'), 'utf8');
    const uris = cluster.accessLog().map((e) => e.uri);
    expect(uris).toEqual(expect.arrayContaining(['/events', '/events/tickets', '/metrics', '/repos/book']));
    expect(uris.filter((u) => u.includes('?'))).toEqual([]);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice('crt_0123456789abcdef_'.length));
    expect(text).not.toContain(ticket);
    expect(text).not.toContain(metricsToken);
  });
});
