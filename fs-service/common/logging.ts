import { pino, type Logger } from 'pino';
import { currentRequestId } from './request-context.js';

/** Library code logs only through an injected pino logger; by default it says nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * The logger process entry points use: JSON lines on stderr, level from LOG_LEVEL. A line written
 * while serving a request that named itself carries its `requestId`.
 */
export function processLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info', mixin: requestIdMixin }, pino.destination(2));
}

/** A fresh object per line: pino merges the line's own fields into it. */
function requestIdMixin(): Record<string, unknown> {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

export type { Logger };
