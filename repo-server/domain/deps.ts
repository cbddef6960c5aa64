/** What every capability gets from `createRepoService`: storage, clock, caches, locks, events. */
import type { RefEventSink } from '../git/index.js';
import type { Storage } from '../../fs-service/index.js';
import type { KeyedLock } from '../../fs-service/index.js';
import type { RepoContexts } from './repo-context.js';

export interface ServiceDeps {
  storage: Storage;
  events: RefEventSink;
  now: () => Date;
  contexts: RepoContexts;
  /** In-process, per repository and branch: writers of one process queue instead of burning their retries against each other (the ref's compare-and-swap is what makes writers on several front ends safe). */
  locks: KeyedLock;
  /** Largest file (blob) a write may store. */
  maxObjectBytes: number;
  /** Author/committer used when a caller names none. */
  defaultPerson: { name: string; email: string };
}
