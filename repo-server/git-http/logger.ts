/**
 * The slice of pino's API the git server logs through; a pino Logger satisfies it, and tests
 * can pass a silent one. Library code logs only through this (no console output).
 */
export interface GitHttpLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: GitHttpLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
