/**
 * A whole front end exactly as production starts it (startServer: REST, git, the /events
 * WebSocket with one-time tickets, access control on) over an embedded storage in a fresh temp
 * folder, with the web client served beside it: its router answers first and hands every other
 * request to the server's own app, as mounting it in createApp will.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { openEmbeddedStorage } from '../../../fs-service/index.js';
import type { Grants } from '../../../repo-server/auth/roles.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { startServer } from '../../../repo-server/server.js';
import { webClientRouter } from '../../../repo-server/web/index.js';

export interface WebServer {
  url: string;
  adminToken: string;
  /** A token for `name` with these grants. */
  token(name: string, grants: Grants): Promise<string>;
  /** A person who signs in with a user name and password. */
  user(name: string, person: { displayName: string; email: string; password: string }, grants: Grants): Promise<void>;
  close(): Promise<void>;
}

export async function startWebServer(): Promise<WebServer> {
  const dir = mkdtempSync(join(tmpdir(), 'web-client-data-'));
  const running = await startServer(
    { host: '127.0.0.1', port: 0, dataDir: dir, maxBodyBytes: 10 * 1024 * 1024, maxPushBytes: 2 * 1024 ** 3, maxPushObjects: 2_000_000, maxObjectBytes: 100 * 1024 * 1024, maxPushInflatedBytes: 8 * 1024 ** 3, gitCacheBytes: 512 * 1024 * 1024, gitCacheIdleMs: 60_000, maxUriBytes: 8 * 1024, trace: false, logLevel: 'silent', auth: true, etcd: [], cluster: undefined, clusterSecret: undefined, rateLimits: undefined },
    await openEmbeddedStorage(dir),
    createLogger('silent'),
  );
  const auth = running.auth;
  if (auth === undefined) throw new Error('access control is off');
  const [api] = running.server.listeners('request') as RequestListener[];
  if (api === undefined) throw new Error('the server has no request handler');
  const app = express();
  app.disable('x-powered-by');
  app.use(webClientRouter());
  app.use((req, res) => api(req, res));
  running.server.removeAllListeners('request');
  running.server.on('request', app);
  const token = async (name: string, grants: Grants) => (await auth.tokens.create(name, grants)).token;
  return {
    url: running.url,
    adminToken: await token('admin', { global: 'admin' }),
    token,
    async user(name, person, grants) {
      const put = await auth.users!.put(name, { ...person, grants });
      if (typeof put === 'string') throw new Error(`user ${name}: ${put}`);
    },
    async close() {
      await running.close(1_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
