import type { Context } from './context.js';
import type { NodeId, PathStep } from './diagram.js';
import type { Exchange, HttpRequest } from './http-client.js';

/**
 * Endpoints and set-ups a case may depend on. Cases for endpoints a deployment does not serve
 * still run (they fail, and say so); `token` cases are skipped when no --token was given.
 */
export type Feature = 'compare' | 'merges' | 'archives' | 'settings' | 'admin-tokens' | 'token';

export interface CaseSpec {
  /** Unique, `group/name`. */
  id: string;
  /** What the case proves, in one line. */
  title: string;
  /** The expected outcome for the table: a status, or a short phrase for git cases. */
  expect: number | string;
  /** Endpoints (and set-ups) the case needs. */
  requires?: readonly Feature[];
  /**
   * The decision path this case proves, from the first node that matters to the status; the
   * nodes before it follow from the request headers (paths.ts). Absent for git protocol cases.
   */
  path?: readonly PathStep[];
  run(t: CaseRun): Promise<void>;
}

export interface Check {
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
}

export type Outcome = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  id: string;
  group: string;
  title: string;
  expected: string;
  actual: string;
  outcome: Outcome;
  /** Set when the case needs an endpoint this deployment does not serve (yet). */
  missingFeature?: Feature;
  skipReason?: string;
  checks: Check[];
  /** The request under test, as sent. */
  request?: { method: string; target: string; headers: Record<string, string> };
  /** The nodes the path declares, expanded with the request's prefix. */
  expectedTrace?: NodeId[];
  expectedStatus?: number;
  /** X-Decision-Trace of the response under test, when exposed. */
  trace?: string[];
  ms: number;
}

/** Options of one exchange under test. */
export interface ExchangeOptions {
  /** git endpoints answer text/plain errors (git prints them), not problem+json. */
  git?: boolean;
  /** Send no Authorization even when a token is configured (auth cases). */
  anonymous?: boolean;
}

/**
 * What a case body works with: `exchange` sends THE request under test (exactly one per case; its
 * status, headers and trace are what the case is judged on), `ctx.send` sends set-up and
 * verification requests, and the check helpers record named expectations.
 */
export interface CaseRun {
  readonly ctx: Context;
  exchange(req: HttpRequest, options?: ExchangeOptions): Promise<Exchange>;
  check(name: string, ok: boolean, expected: string, actual: string): boolean;
  /** Sets the table's "actual" cell when it is not a status (git cases). */
  actual(text: string): void;
}
