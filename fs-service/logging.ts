import { pino, type Logger } from 'pino';

/** Library code logs only through an injected pino logger; by default it says nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** The logger process entry points use: JSON lines on stderr, level from LOG_LEVEL. */
export function processLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
}

export type { Logger };
