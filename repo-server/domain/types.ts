/**
 * Entities and result values of the repository service. Every operation answers a discriminated
 * union: `{ok: true, ...}` or `{ok: false, reason, ...}`. Reasons are domain words, never HTTP
 * statuses; the REST layer maps them. Exceptions are kept for bugs and storage failures.
 */

import type { CommitDetails, Oid, Person } from '../git/index.js';

/** Ids, people and commits are the git core's model (git/object.ts). */
export type { CommitDetails, Oid, Person };

/** What a caller may give for an author/committer/tagger; time defaults to the service clock. */
export interface PersonInput {
  name: string;
  email: string;
  timestamp?: number;
  timezoneOffset?: number;
}

export interface RepoInfo {
  name: string;
  description: string;
  defaultBranch: string;
  createdAt: string;
  updatedAt: string;
}

export interface Branch {
  name: string;
  commit: Oid;
}

/** Git file modes as they appear in trees. */
export type EntryMode = '100644' | '100755' | '120000' | '160000' | '040000';
export type EntryType = 'file' | 'folder' | 'symlink' | 'submodule';

// ---- failures shared by many operations ------------------------------------------------------

export type NotFoundWhat =
  | 'repository'
  | 'ref'
  | 'branch'
  | 'tag'
  | 'commit'
  | 'path'
  | 'cursor';

// Failures are type aliases, not interfaces: callers may treat them as plain records
// (`{reason: string; [key: string]: unknown}`), which interfaces do not satisfy.
export type NotFound = {
  ok: false;
  reason: 'not-found';
  what: NotFoundWhat;
  /** The name, ref or path that was not found. */
  name: string;
  /** For `what: 'repository'`: it existed and was deleted (the API answers 410 Gone). */
  gone?: boolean;
};

export type InvalidWhat =
  | 'repository-name'
  | 'branch-name'
  | 'tag-name'
  | 'ref'
  | 'path'
  | 'message'
  | 'metadata'
  | 'person'
  | 'changes'
  | 'limit'
  | 'cursor'
  | 'format'
  | 'commit-id';

export type Invalid = {
  ok: false;
  reason: 'invalid';
  what: InvalidWhat;
  detail: string;
};

/** The ref no longer has the value the caller expected (If-Match failed, or `parent` is not the head). */
export type Stale = {
  ok: false;
  reason: 'stale';
  /** The current value (null: the ref does not exist). */
  current: Oid | null;
};

export function notFound(what: NotFoundWhat, name: string, gone?: boolean): NotFound {
  return gone === true ? { ok: false, reason: 'not-found', what, name, gone } : { ok: false, reason: 'not-found', what, name };
}

export function invalid(what: InvalidWhat, detail: string): Invalid {
  return { ok: false, reason: 'invalid', what, detail };
}

export function stale(current: Oid | null): Stale {
  return { ok: false, reason: 'stale', current };
}

/** Content larger than the largest object the service stores (a push has the same limit). */
export type TooLarge = { ok: false; reason: 'too-large'; path: string; bytes: number; limit: number; detail: string };

/** A ref name that would be a folder of another ref, or the reverse ("drafts" and "drafts/ch1"). */
export type RefNameConflict = {
  ok: false;
  reason: 'ref-name-conflict';
  /** The full ref name asked for, and the existing ref it clashes with. */
  ref: string;
  conflictsWith: string;
  detail: string;
};

/** Context of every write: who did it (for ref events). */
export interface WriteOptions {
  /** Who asked for the change; published with the ref event. Default "anonymous". */
  actor?: string;
  /** The actor's own address when known (a signed-in user's): commits credit them with it. */
  actorEmail?: string;
}
