import { expect } from 'vitest';
import type { CaseResult } from '../case.js';
import { computeCoverage } from '../coverage.js';
import { NEEDS_TOKEN } from '../diagram.js';
import type { RunResult } from '../run.js';

/** What a healthy deployment's run must show; shared by the embedded and the cluster test. */

/** Every terminal status the API can produce from outside (401/403 need access control). */
const REACHABLE_STATUSES = [200, 201, 204, 206, 304, 400, 404, 405, 406, 409, 410, 412, 413, 414, 415, 416, 428, 501];

function describeFailure(r: CaseResult): string {
  return `${r.id}: ${r.checks.filter((c) => !c.ok).map((c) => `${c.name} expected ${c.expected}, got ${c.actual}`).join('; ')}`;
}

/** No failure outside the tolerated ones and the endpoints the deployment does not serve yet. */
export function expectOnlyKnownDeviations(run: RunResult, known: Readonly<Record<string, string>>): void {
  expect(run.fatal).toBeUndefined();
  const unexpected = run.results.filter((r) => r.outcome === 'fail' && r.missingFeature === undefined && !(r.id in known));
  expect(unexpected.map(describeFailure)).toEqual([]);
  const fixed = Object.keys(known).filter((id) => run.results.find((r) => r.id === id)?.outcome === 'pass');
  if (fixed.length > 0) process.stdout.write(`known deviations that pass now (remove them): ${fixed.join(', ')}\n`);
}

/** Every reachable status proven, except those only the tolerated deviations would prove. */
export function expectStatusesProven(run: RunResult, withToken: boolean, except: readonly number[] = []): void {
  const proven = new Set(run.results.filter((r) => r.outcome === 'pass').map((r) => Number(r.actual)));
  const wanted = [...REACHABLE_STATUSES, ...(withToken ? [401, 403] : [])].filter((s) => !except.includes(s));
  expect(wanted.filter((s) => !proven.has(s))).toEqual([]);
}

/** Every node and edge covered or unreachable from outside; no walk off the diagram. */
export function expectDiagramCovered(run: RunResult, withToken: boolean, except: readonly string[] = []): void {
  const coverage = computeCoverage(run.results);
  const left = [...Object.entries(coverage.nodes), ...Object.entries(coverage.edges)]
    .filter(([key, mark]) => mark === 'uncovered' && !except.includes(key) && !(!withToken && NEEDS_TOKEN.includes(key)))
    .map(([key]) => key);
  expect(left).toEqual([]);
  expect(coverage.strayEdges).toEqual([]);
}
