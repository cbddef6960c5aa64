import type { Request } from 'express';
import type { ObjectStores, RefEventSink, RepoPolicy } from '../git/index.js';
import type { GitHttpLogger } from './logger.js';

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

/** Who may read or push: the router calls this hook, when given, before it touches the repository. */
export type AuthorizeHook = (req: Request, access: AccessRequest) => Promise<AuthDecision>;

/** "in": pushed to receive-pack; "out": sent by upload-pack. */
export type PackDirection = 'in' | 'out';

/**
 * Traffic counts for metrics, so that git-http needs no metrics library. Called once per pack,
 * never per chunk; implementations must not throw.
 */
export interface GitHttpObserver {
  /**
   * Pack bytes. "in": the pack part of a push body as received (after the command list; refused
   * packs included). "out": pack bytes written to an upload-pack response, header and trailer
   * included, side-band framing (pkt-line length and band byte) and progress excluded; a clone
   * the client abandoned counts what was written until then.
   */
  packBytes(direction: PackDirection, bytes: number): void;
  /**
   * Objects. "in": distinct objects of a pushed pack that passed verification (bases completing
   * a thin pack not counted). "out": objects of a pack sent to the end.
   */
  packObjects(direction: PackDirection, count: number): void;
}

export interface GitHttpDeps {
  /** The object stores of the front end (one per repository, one cache), shared with the REST side. */
  objects: ObjectStores;
  events: RefEventSink;
  /** Protected branches per repository; none when absent. */
  policy?: (repo: string) => Promise<RepoPolicy>;
  logger?: GitHttpLogger;
  /** Largest push body accepted (after decompression), separate from the REST body limit; default 2 GiB. */
  maxPushBytes?: number;
  /** How often a push being checked and applied sends a keep-alive packet; git's 5 s by default. */
  keepAliveMs?: number;
  /**
   * Most objects one push may carry, checked against the pack header's count before anything is
   * indexed or stored (refused as `unpack` error); default 2,000,000.
   */
  maxPackObjects?: number;
  /** Largest object a push may carry, inflated; default 100 MiB. */
  maxObjectBytes?: number | undefined;
  /** Most bytes the objects of one push may inflate to together; default 8 GiB. */
  maxInflatedBytes?: number | undefined;
  /** Largest upload-pack request body (after decompression); default 16 MiB. */
  maxRequestBytes?: number;
  authorize?: AuthorizeHook;
  /** Pack bytes and objects in and out (e.g. Prometheus counters); nothing is counted when absent. */
  observer?: GitHttpObserver;
}
