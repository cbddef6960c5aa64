import { afterEach } from 'vitest';
import type { Storage } from '../../../../fs-service/index.js';
import { createRepoService, type CommitDetails, type RepoService } from '../../../../repo-server/domain/index.js';
import type { RefEventSink, RefUpdatedEvent } from '../../../../repo-server/git/refs/ref-update.js';
import type { StorageFactory, StorageHandle } from './storages.js';

export class RecordingEvents implements RefEventSink {
  readonly events: RefUpdatedEvent[] = [];
  publish(event: RefUpdatedEvent): void {
    this.events.push(event);
  }
}

/** A clock that ticks one second per reading, so every commit has its own time (git log order). */
export class TickingClock {
  constructor(private ms = Date.UTC(2024, 0, 1)) {}
  now = (): Date => {
    this.ms += 1000;
    return new Date(this.ms);
  };
}

export interface Harness {
  storage: Storage;
  service: RepoService;
  events: RecordingEvents;
  clock: TickingClock;
  /** Another front end on the same storage (own caches and locks). */
  secondService(): RepoService;
}

const open: StorageHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.dispose()));
});

/** A fresh storage from `factory`, disposed after the test. */
export async function freshStorage(factory: StorageFactory): Promise<Storage> {
  const handle = await factory.create();
  open.push(handle);
  return handle.storage;
}

export async function harness(factory: StorageFactory): Promise<Harness> {
  const storage = await freshStorage(factory);
  const events = new RecordingEvents();
  const clock = new TickingClock();
  const make = (): RepoService => createRepoService({ storage, events, now: clock.now });
  return { storage, service: make(), events, clock, secondService: make };
}

export const AUTHOR = { name: 'Ada Author', email: 'ada@example.org' };

/** Creates a repository and commits `files` to a branch; returns the commit. */
export async function seed(service: RepoService, repo: string, files: Record<string, string | Buffer>, branch = 'main', message = 'seed'): Promise<CommitDetails> {
  await service.createRepository(repo);
  return commitFiles(service, repo, branch, files, message);
}

export async function commitFiles(
  service: RepoService,
  repo: string,
  branch: string,
  files: Record<string, string | Buffer | null>,
  message = 'change',
): Promise<CommitDetails> {
  const changes = Object.entries(files).map(([path, content]) =>
    content === null ? { path, delete: true as const } : { path, content: typeof content === 'string' ? Buffer.from(content) : content },
  );
  const result = await service.commitChanges(repo, { branch, message, author: AUTHOR, changes });
  if (!result.ok) throw new Error(`commit failed: ${JSON.stringify(result)}`);
  return result.commit;
}

/** Unwraps an ok result or fails the test with the failure value. */
export function ok<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}
