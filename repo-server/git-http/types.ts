import type { Request } from 'express';
import type { Storage } from '../../fs-service/index.js';
import type { RefEventSink } from '../refs/ref-update.js';
import type { GitHttpLogger } from './logger.js';
import type { CacheBudget } from './object-cache.js';
import type { RepoPolicy } from './ref-policy.js';

export type GitService = 'git-upload-pack' | 'git-receive-pack';

export interface AccessRequest {
  repo: string;
  service: GitService;
  /** True for pushes (receive-pack), including their discovery GET. */
  write: boolean;
}

export type AuthDecision =
  | { ok: true; actor: string }
  | { ok: false; status: 401 | 403 | 404; message: string; headers?: Record<string, string> };

/** Authentication arrives in a later issue; the router calls this hook if given. */
export type AuthorizeHook = (req: Request, access: AccessRequest) => Promise<AuthDecision>;

export interface GitHttpDeps {
  storage: Storage;
  events: RefEventSink;
  /** Protected branches per repository; none when absent. */
  policy?: (repo: string) => Promise<RepoPolicy>;
  logger?: GitHttpLogger;
  /** Largest push body accepted (after decompression); default 1 GiB. */
  maxPackBytes?: number;
  /** Largest upload-pack request body (after decompression); default 16 MiB. */
  maxRequestBytes?: number;
  authorize?: AuthorizeHook;
  /** Memory for the shared, immutable object caches. */
  cache?: CacheBudget;
}
