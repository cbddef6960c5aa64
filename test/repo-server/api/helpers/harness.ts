/**
 * One REST front end for a test: createApp on a real loopback server (createEngineServer, as
 * production wires it), and a supertest client that records every (method, path template,
 * status) it sees, so each suite can check its observations against /openapi.json.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Storage } from '../../../../fs-service/index.js';
import { createEngineServer } from '../../../../webmachine/index.js';
import { createApp } from '../../../../repo-server/app.js';
import { Authorizer } from '../../../../repo-server/auth/authorizer.js';
import { TokenStore } from '../../../../repo-server/auth/token-store.js';
import { UserStore } from '../../../../repo-server/auth/user-store.js';
import { EventTickets } from '../../../../repo-server/auth/event-tickets.js';
import type { Grants } from '../../../../repo-server/auth/roles.js';
import { EventBus } from '../../../../repo-server/events/event-bus.js';
import type { ObjectStores } from '../../../../repo-server/git/index.js';
import { createLogger, type Logger } from '../../../../repo-server/observability/logger.js';
import { SettingsStore } from '../../../../repo-server/settings/repo-settings.js';
import { recordObservation } from './observed.js';

export type Method = 'get' | 'put' | 'post' | 'delete' | 'head' | 'options' | 'patch';

/** supertest's request builder per method; every call is recorded. */
export type ApiClient = Record<Method, (path: string) => request.Test>;

export interface ApiOptions {
  storage: Storage;
  /** Access control through Authorizer(TokenStore, SettingsStore) on the same storage. */
  auth?: boolean;
  logger?: Logger;
  maxBodyBytes?: number;
  /** The object stores (and so the one GitCache) REST and git share; default: the app's own. */
  objects?: ObjectStores;
}

export interface ApiHarness {
  url: string;
  server: Server;
  storage: Storage;
  events: EventBus;
  auth: Authorizer | undefined;
  /** Anonymous client (no Authorization header). */
  client: ApiClient;
  /** A client presenting `Authorization: <header>` on every request. */
  withAuthorization(header: string): ApiClient;
  /** A client presenting the token as a Bearer credential. */
  as(token: string): ApiClient;
  /** Creates a token through the TokenStore (auth harnesses only). */
  token(name: string, grants: Grants): Promise<string>;
  close(): Promise<void>;
}

const METHODS: Method[] = ['get', 'put', 'post', 'delete', 'head', 'options', 'patch'];

/**
 * Identity by default: a gzip representation has its own ETag ("<id>-gzip"), and most tests
 * assert the object ids themselves. The gzip case has tests of its own.
 */
const DEFAULT_HEADERS: Record<string, string> = { 'Accept-Encoding': 'identity' };

export function apiClient(url: string, headers: Record<string, string> = {}): ApiClient {
  const agent = request(url);
  const client = {} as ApiClient;
  for (const method of METHODS) {
    client[method] = (path: string) => {
      const test = agent[method](path);
      for (const [name, value] of Object.entries({ ...DEFAULT_HEADERS, ...headers })) test.set(name, value);
      test.on('response', (res: { status: number; headers: Record<string, string>; text?: unknown }) =>
        recordObservation(method, path, res.status, res.headers, typeof res.text === 'string' ? res.text : undefined),
      );
      return test;
    };
  }
  return client;
}

export async function startApi(opts: ApiOptions): Promise<ApiHarness> {
  const events = new EventBus();
  const storage = opts.storage;
  const auth = opts.auth === true ? new Authorizer(new TokenStore(storage), new SettingsStore(storage), true, new UserStore(storage), new EventTickets(storage)) : undefined;
  const app = createApp({
    storage,
    events,
    logger: opts.logger ?? createLogger('silent'),
    engine: opts.maxBodyBytes === undefined ? {} : { maxBodyBytes: opts.maxBodyBytes },
    ...(auth === undefined ? {} : { auth }),
    ...(opts.objects === undefined ? {} : { objects: opts.objects }),
  });
  const server = createEngineServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    storage,
    events,
    auth,
    client: apiClient(url),
    withAuthorization: (header) => apiClient(url, { Authorization: header }),
    as: (token) => apiClient(url, { Authorization: `Bearer ${token}` }),
    token: async (name, grants) => {
      if (auth === undefined) throw new Error('this harness has no access control');
      return (await auth.tokens.create(name, grants)).token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Basic credentials as git sends them (user name ignored, password = token). */
export function basic(token: string, user = 'x'): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
}
