/**
 * The start of every git-http suite: a storage of the factory's kind, the git router on it, one
 * initialized repository, and a sandbox for the real git client. tearDown (git-client.ts) ends it.
 */
import type { RepoStore, Storage } from '../../../../fs-service/index.js';
import type { GitHttpDeps } from '../../../../repo-server/git-http/index.js';
import { GitSandbox } from './git-client.js';
import { startServer, type TestServer } from './server.js';
import { initRepo } from './server-repo.js';
import type { StorageFactory } from './storages.js';

export interface GitWorld {
  storage: Storage;
  dispose: () => Promise<void>;
  server: TestServer;
  sb: GitSandbox;
  /** The repository `repo`, initialized (empty). */
  store: RepoStore;
  /** Its clone URL. */
  url: string;
}

export async function openGitWorld(factory: StorageFactory, repo: string, extra: Partial<GitHttpDeps> = {}): Promise<GitWorld> {
  const { storage, dispose } = await factory.create();
  const server = await startServer(storage, extra);
  const sb = new GitSandbox();
  const store = storage.repo(repo);
  await initRepo(store);
  return { storage, dispose, server, sb, store, url: `${server.url}/${repo}.git` };
}
