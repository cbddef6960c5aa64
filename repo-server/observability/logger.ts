import { pino, type Logger } from 'pino';

/**
 * One JSON line per event (pino). Authorization headers and tokens are redacted at the source so
 * no code path can log them by accident.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'repo-server', pid: process.pid },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token', '*.token'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger };
