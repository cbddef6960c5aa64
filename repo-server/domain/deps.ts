/** What every capability gets from `createRepoService`: storage, clock, caches, locks, events. */
import type { Storage } from '../../fs-service/index.js';
import type { RefEventSink } from '../refs/ref-update.js';
import type { KeyedLock } from './keyed-lock.js';
import type { RepoContexts } from './repo-context.js';

export interface ServiceDeps {
  storage: Storage;
  events: RefEventSink;
  now: () => Date;
  contexts: RepoContexts;
  locks: KeyedLock;
  /** Largest file (blob) a write may store. */
  maxObjectBytes: number;
  /** Author/committer used when a caller names none. */
  defaultPerson: { name: string; email: string };
}
