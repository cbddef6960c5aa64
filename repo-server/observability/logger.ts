import { pino, type Logger } from 'pino';
import { currentRequestId } from '../../fs-service/index.js';

/**
 * One JSON line per event (pino). Authorization headers and tokens are redacted at the source so
 * no code path can log them by accident. A line written while serving a request carries the
 * request's `requestId` (http/request-id.ts), whichever code wrote it.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'repo-server', pid: process.pid },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'token', '*.token'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: requestIdMixin,
    },
    (destination as pino.DestinationStream | undefined) ?? stdoutLines(),
  );
}

/**
 * stdout written asynchronously and in batches: one write per access line, even through the
 * thread pool, cost about a tenth of a front end's CPU under load (77 against 86 µs per warm
 * file GET, docs/operations.md, Measured). Lines are written once 4 KiB have gathered or 100 ms
 * have passed, whichever is first; flushed on shutdown (main.ts) and on any exit. A kill -9 can
 * lose the last 100 ms of lines.
 */
function stdoutLines(): pino.DestinationStream {
  // One per process: every logger writing to stdout shares it (and its one exit hook).
  if (stdout !== undefined) return stdout;
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // not opened yet, or already closed: nothing to write
    }
  });
  stdout = destination;
  return destination;
}

let stdout: pino.DestinationStream | undefined;

/** A fresh object per line: pino merges the line's own fields into it. */
function requestIdMixin(): Record<string, unknown> {
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

export type { Logger };
