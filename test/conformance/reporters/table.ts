import type { CaseResult } from '../case.js';
import type { Coverage } from '../coverage.js';
import { compact, type RunResult } from '../run.js';

/** The console table: one row a case (case, expected, actual, trace), failed checks beneath. */

const WIDTH = { mark: 4, id: 44, expected: 22, actual: 22 };

function pad(text: string, width: number): string {
  return text.length >= width ? `${text.slice(0, width - 1)}… ` : text.padEnd(width + 1);
}

const MARK: Record<CaseResult['outcome'], string> = { pass: 'ok', fail: 'FAIL', skip: 'skip' };

export function tableHeader(): string {
  return `${pad('', WIDTH.mark)}${pad('case', WIDTH.id)}${pad('expected', WIDTH.expected)}${pad('actual', WIDTH.actual)}decision trace\n`;
}

export function tableRow(r: CaseResult): string {
  const trace = r.trace === undefined ? '' : compact(r.trace);
  let out = `${pad(MARK[r.outcome], WIDTH.mark)}${pad(r.id, WIDTH.id)}${pad(r.expected, WIDTH.expected)}${pad(r.actual, WIDTH.actual)}${trace}\n`;
  if (r.outcome === 'skip') out += `      ${r.skipReason}\n`;
  for (const c of r.checks.filter((x) => !x.ok)) out += `      ✗ ${c.name}: expected ${c.expected}, got ${c.actual}\n`;
  if (r.missingFeature !== undefined) out += `      (the deployment does not serve ${r.missingFeature} yet)\n`;
  return out;
}

export function tableSummary(run: RunResult, coverage: Coverage): string {
  const count = (o: CaseResult['outcome']): number => run.results.filter((r) => r.outcome === o).length;
  const pending = run.results.filter((r) => r.outcome === 'fail' && r.missingFeature !== undefined).length;
  const missing = Object.entries(run.features).filter(([, served]) => served === false).map(([f]) => f);
  const statuses = [...new Set(run.results.filter((r) => r.outcome === 'pass' && /^\d{3}$/.test(r.actual)).map((r) => Number(r.actual)))].sort((a, b) => a - b);
  const nodes = Object.values(coverage.nodes);
  const lines = [
    '',
    `${run.results.length} cases against ${run.url} (scratch repository ${run.repo}) in ${(run.ms / 1000).toFixed(1)} s: ${count('pass')} passed, ${count('fail')} failed${pending > 0 ? ` (${pending} of them on endpoints not served: ${missing.join(', ')})` : ''}, ${count('skip')} skipped`,
    `statuses proven: ${statuses.join(' ')}`,
    `diagram: ${nodes.filter((m) => m === 'covered').length} nodes covered, ${nodes.filter((m) => m === 'failed').length} failed, ${nodes.filter((m) => m === 'unreachable').length} unreachable from outside, ${nodes.filter((m) => m === 'uncovered').length} not covered; decision trace ${run.traceExposed ? 'compared node by node' : 'not exposed (statuses and headers only)'}`,
  ];
  if (coverage.strayEdges.length > 0) lines.push(`edges walked that the diagram does not have: ${coverage.strayEdges.join(' ')}`);
  if (run.fatal !== undefined) lines.push(`STOPPED: ${run.fatal}`);
  lines.push(run.deviations === 0 ? 'no deviations' : `${run.deviations} deviation(s)`);
  return `${lines.join('\n')}\n`;
}
