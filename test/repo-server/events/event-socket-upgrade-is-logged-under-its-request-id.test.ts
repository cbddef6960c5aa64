/**
 * The /events upgrade is a request like the others: its line in the log names its request id
 * (nginx's X-Request-Id), never the access_token of its query; the events it later delivers are
 * not attributed to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryStorage } from '../../../fs-service/testing.js';
import type { RunningServer } from '../../../repo-server/server.js';
import { createRepo } from '../api/helpers/fixtures.js';
import { capturedLogger, startFrontEnd } from '../api/helpers/front-end.js';
import { apiClient } from '../api/helpers/harness.js';

/** Opens /events with the given X-Request-Id, closes it, and lets the log catch up. */
async function openAndClose(url: string, requestId: string): Promise<void> {
  const ws = new WebSocket(url, { headers: { 'X-Request-Id': requestId } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.close();
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('the /events upgrade in the log', () => {
  const storage = new MemoryStorage();
  const log = capturedLogger();
  let server: RunningServer;

  beforeAll(async () => {
    server = await startFrontEnd(storage, { auth: false, logger: log.logger });
    await createRepo(apiClient(server.url), 'watched');
  });
  afterAll(async () => {
    await server.close(100);
    await storage.close();
  });

  it('names the request id of the upgrade and not the query string', async () => {
    const url = `${server.url.replace('http', 'ws')}/events?repo=watched&ticket=tkt_not-a-real-secret`;
    await openAndClose(url, 'ws-upgrade-7');
    const lines = log
      .text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { msg: string; requestId?: string; repo?: string });
    expect(lines.find((l) => l.msg === 'event socket opened')).toMatchObject({ requestId: 'ws-upgrade-7', repo: 'watched' });
    expect(log.text()).not.toContain('not-a-real-secret');
  });

  it('gives an upgrade without a usable id a fresh one', async () => {
    await openAndClose(`${server.url.replace('http', 'ws')}/events?repo=watched`, 'bad id\twith tab');
    const opened = log
      .text()
      .split('\n')
      .filter((l) => l.includes('"event socket opened"'))
      .map((l) => JSON.parse(l) as { requestId?: string });
    expect(opened.at(-1)?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
