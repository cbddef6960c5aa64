import { Counter, type Registry } from 'prom-client';
import type { Logger } from './logging.js';

/**
 * The last line of defence for a long-running process: an error no handler caught (a socket
 * that emitted 'error' with nobody listening, a promise nobody awaited) is logged and counted
 * (`process_uncaught_errors_total`) instead of ending the process and every connection it serves.
 * Each one is still a bug to fix where it starts; the count is what tells an operator there is one.
 */
export function guardProcess(logger: Logger, registry?: Registry): void {
  const counter = new Counter({
    name: 'process_uncaught_errors_total',
    help: 'Errors that reached the process guard instead of a handler (each one is a bug)',
    labelNames: ['kind'],
    registers: registry === undefined ? [] : [registry],
  });
  for (const kind of ['exception', 'rejection'] as const) counter.inc({ kind }, 0);
  process.on('uncaughtException', (err: Error) => {
    counter.inc({ kind: 'exception' });
    logger.error({ err }, 'uncaught exception (kept running)');
  });
  process.on('unhandledRejection', (reason: unknown) => {
    counter.inc({ kind: 'rejection' });
    logger.error({ err: reason }, 'unhandled rejection (kept running)');
  });
}
