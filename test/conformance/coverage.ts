import type { CaseResult } from './case.js';
import { EDGES, edgeKey, findEdge, isNodeId, NODES, type NodeId, type PathStep, unreachableReason } from './diagram.js';

/** What a run proved about each node and edge of the diagram. */
export type Mark = 'covered' | 'failed' | 'unreachable' | 'uncovered';

export interface Coverage {
  nodes: Record<string, Mark>;
  edges: Record<string, Mark>;
  /** Case ids that prove (or broke) each node and edge. */
  nodeCases: Record<string, string[]>;
  edgeCases: Record<string, string[]>;
  /** Terminal statuses reached by passing cases. */
  statuses: number[];
  /** Edges walked that the diagram does not have (a deployment taking a path nobody drew). */
  strayEdges: string[];
}

/** The walk a result stands for: its real trace when exposed, else the path it declared. */
function walk(r: CaseResult): PathStep[] | undefined {
  const status = r.expectedStatus;
  if (r.outcome === 'pass' && r.trace !== undefined && status !== undefined) return [...r.trace.filter(isNodeId), status];
  if (r.expectedTrace !== undefined && status !== undefined) return [...r.expectedTrace, status];
  return undefined;
}

/**
 * The decision a failed case blames: the last node where the real trace still agreed with the
 * expected one, and the expected edge out of it that was not taken. Nodes after it were simply
 * not reached, so they stay as other cases left them. Without a trace, or when the walk held and
 * a header or body check failed, the blame is on the last node and its terminal edge.
 */
function doubtful(r: CaseResult, steps: PathStep[]): PathStep[] {
  const expected = r.expectedTrace ?? [];
  const actual = r.trace;
  if (actual === undefined) return steps.slice(-2);
  let i = 0;
  while (i < expected.length && i < actual.length && expected[i] === actual[i]) i++;
  if (i === expected.length && i === actual.length) return steps.slice(-2);
  return steps.slice(Math.max(0, i - 1), i + 1);
}

export function computeCoverage(results: readonly CaseResult[]): Coverage {
  const nodes: Record<string, Mark> = {};
  const edges: Record<string, Mark> = {};
  const nodeCases: Record<string, string[]> = {};
  const edgeCases: Record<string, string[]> = {};
  const stray = new Set<string>();
  const statuses = new Set<number>();
  for (const n of NODES) nodes[n.id] = unreachableReason(n.id) === undefined ? 'uncovered' : 'unreachable';
  for (const e of EDGES) edges[edgeKey(e.from, e.to)] = unreachableReason(e.from, e.to) === undefined ? 'uncovered' : 'unreachable';
  const note = (map: Record<string, string[]>, key: string, id: string): void => {
    (map[key] ??= []).includes(id) || map[key]!.push(id);
  };
  const mark = (steps: PathStep[], as: 'covered' | 'failed', id: string): void => {
    steps.forEach((s, i) => {
      if (typeof s === 'string') {
        if (nodes[s] !== 'failed') nodes[s] = as;
        note(nodeCases, s, id);
      }
      const next = steps[i + 1];
      if (typeof s !== 'string' || next === undefined) return;
      const key = edgeKey(s as NodeId, next);
      if (findEdge(s as NodeId, next) === undefined) stray.add(key);
      if (edges[key] !== 'failed') edges[key] = as;
      note(edgeCases, key, id);
    });
  };
  for (const r of results) {
    const steps = walk(r);
    if (steps === undefined) continue;
    if (r.outcome === 'pass') {
      mark(steps, 'covered', r.id);
      statuses.add(steps[steps.length - 1] as number);
    }
  }
  // Failures last, so red wins over green where a node is both proven and broken.
  for (const r of results) {
    const steps = walk(r);
    if (steps !== undefined && r.outcome === 'fail') mark(doubtful(r, steps), 'failed', r.id);
  }
  return { nodes, edges, nodeCases, edgeCases, statuses: [...statuses].sort((a, b) => a - b), strayEdges: [...stray] };
}
