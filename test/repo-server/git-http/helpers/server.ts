import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Storage } from '../../../../fs-service/index.js';
import { GitCache, ObjectStores } from '../../../../repo-server/git/index.js';
import type { RefUpdatedEvent } from '../../../../repo-server/git/refs/ref-update.js';
import { gitHttpRouter, type GitHttpDeps, type RepoPolicy } from '../../../../repo-server/git-http/index.js';

export interface TestServer {
  url: string;
  events: RefUpdatedEvent[];
  /** Protected branches per repository, changeable by tests. */
  protectedBranches: Map<string, string[]>;
  /** Called at each push's policy lookup: lets a test move a ref mid-push (a real race). */
  onPush: ((repo: string) => Promise<void>) | null;
  close(): Promise<void>;
}

/** An express app serving only the git router on 127.0.0.1 and a random port. */
export async function startServer(storage: Storage, extra: Partial<GitHttpDeps> = {}): Promise<TestServer> {
  const events: RefUpdatedEvent[] = [];
  const state: TestServer = {
    url: '',
    events,
    protectedBranches: new Map(),
    onPush: null,
    close: async () => undefined,
  };
  const app = express();
  app.use(
    gitHttpRouter({
      objects: new ObjectStores(storage, new GitCache()),
      events: { publish: (e) => events.push(e) },
      policy: async (repo): Promise<RepoPolicy> => {
        if (state.onPush !== null) await state.onPush(repo);
        return { protectedBranches: state.protectedBranches.get(repo) ?? [] };
      },
      ...extra,
    }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  state.url = `http://127.0.0.1:${port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
