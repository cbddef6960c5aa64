import type { Coverage } from '../coverage.js';
import type { RunResult } from '../run.js';

/** The machine-readable report: the whole run plus the diagram coverage it adds up to. */
export function jsonReport(run: RunResult, coverage: Coverage): string {
  return `${JSON.stringify({ ...run, coverage }, null, 2)}\n`;
}
