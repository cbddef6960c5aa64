import type { Halt } from './halt.js';

/** Pino-compatible structured logger: one JSON line per event. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * "rfc" (the default we ship) applies RFC 9110/9111 where the 2009 diagram disagrees;
 * "v3" restores Basho webmachine 1.12's answers node for node (docs/webmachine.md, "Profiles").
 */
export type Profile = 'rfc' | 'v3';

export interface EngineOptions {
  profile: Profile;
  /** Bodies longer than this get 413, announced (Content-Length) or not (chunked). */
  maxBodyBytes: number;
  /** Request-targets longer than this get 414 (the default uri_too_long). */
  maxUriBytes: number;
  /** Adds X-Decision-Trace to responses and a trace field to the log line. */
  trace: boolean;
  logger: Logger;
  /**
   * The `type` of a problem body that names none (RFC 9457: about:blank when absent): an
   * application names its own problem pages per status here.
   */
  problemType?: (status: number) => string | undefined;
  /**
   * Names a thrown error the application expects (its storage refusing for a while, say): its
   * Halt is answered instead of a 500, and it is logged at warn without a stack. Undefined: a
   * failure like any other.
   */
  knownFailure?: (err: unknown) => Halt | undefined;
}

export const defaultOptions: EngineOptions = {
  profile: 'rfc',
  maxBodyBytes: 50 * 1024 * 1024,
  maxUriBytes: 8 * 1024,
  trace: false,
  logger: silentLogger,
};

export function engineOptions(overrides: Partial<EngineOptions> = {}): EngineOptions {
  return { ...defaultOptions, ...overrides };
}
