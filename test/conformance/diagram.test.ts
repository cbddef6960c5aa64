import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from './case.js';
import { everyCase } from './cases/index.js';
import { computeCoverage } from './coverage.js';
import { EDGES, edgeKey, findEdge, isNodeId, NODES, type NodeId, UNREACHABLE } from './diagram.js';
import { expand, prefixFor } from './paths.js';
import { htmlReport } from './reporters/html-diagram.js';
import { junitReport, xmlEscape } from './reporters/junit.js';
import type { RunResult } from './run.js';

/** The client's own model: declared paths must be walks of the diagram, reports must render. */

describe('the diagram model and the declared paths', () => {
  it('gives every case a unique id', () => {
    const ids = everyCase().map((c) => c.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('declares only paths made of diagram edges, ending in the status the case expects', () => {
    const bad: string[] = [];
    for (const c of everyCase()) {
      if (c.path === undefined) continue;
      const steps = c.path;
      if (steps[steps.length - 1] !== c.expect) bad.push(`${c.id}: ends in ${String(steps[steps.length - 1])}, expects ${String(c.expect)}`);
      for (let i = 0; i + 1 < steps.length; i++) {
        const from = steps[i]!;
        if (typeof from !== 'string' || findEdge(from, steps[i + 1]!) === undefined) bad.push(`${c.id}: ${String(from)} -> ${String(steps[i + 1])} is not an edge`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('joins the standard prefix to every path with edges too', () => {
    // With every negotiation header present, any declared start node is on the prefix.
    const headers = { Accept: '*/*', 'Accept-Language': '*', 'Accept-Encoding': 'identity', 'Content-MD5': 'x' };
    for (const c of everyCase()) {
      if (c.path === undefined) continue;
      const { nodes, status } = expand(c.path, headers);
      const walk = [...nodes, status];
      for (let i = 0; i + 1 < walk.length; i++) expect(findEdge(walk[i] as NodeId, walk[i + 1]!), `${c.id} at ${String(walk[i])}`).toBeDefined();
    }
  });

  it('derives the prefix from the request headers', () => {
    expect(prefixFor({})).toEqual(['b13', 'b12', 'b11', 'b10', 'b9', 'b9b', 'b8', 'b7', 'b6', 'b5', 'b4', 'b3', 'c3', 'd4', 'e5', 'f6', 'g7']);
    expect(prefixFor({ 'content-md5': 'x', accept: 'a/b', 'Accept-Encoding': 'gzip' })).toEqual(
      expect.arrayContaining(['b9a', 'c4', 'f7']),
    );
    expect(() => expand(['c4', 406], {})).toThrow(/never visits/);
  });

  it('names only real nodes and edges in its edges and its unreachable list', () => {
    for (const e of EDGES) expect(isNodeId(e.from) && (typeof e.to === 'number' || isNodeId(e.to)), edgeKey(e.from, e.to)).toBe(true);
    for (const u of UNREACHABLE) expect(u.to === undefined ? NODES.some((n) => n.id === u.from) : findEdge(u.from, u.to) !== undefined, `${u.from} ${String(u.to)}`).toBe(true);
    const keys = EDGES.map((e) => edgeKey(e.from, e.to));
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
  });
});

function result(id: string, outcome: CaseResult['outcome'], expectedTrace: NodeId[], trace: string[] | undefined, actual: string, expectedStatus: number): CaseResult {
  return { id, group: 'g', title: id, expected: String(expectedStatus), actual, outcome, checks: outcome === 'fail' ? [{ name: 'status', ok: false, expected: String(expectedStatus), actual }] : [], expectedTrace, expectedStatus, ms: 1, ...(trace === undefined ? {} : { trace }) };
}

describe('coverage and reports', () => {
  const prefix: NodeId[] = ['b13', 'b12', 'b11', 'b10', 'b9', 'b9b', 'b8', 'b7', 'b6', 'b5', 'b4', 'b3', 'c3', 'd4', 'e5', 'f6', 'g7', 'g7a', 'g8'];
  const passing = result('a/pass', 'pass', [...prefix, 'h10', 'i12', 'l13', 'm16', 'n16', 'o16', 'o18', 'o18b'], [...prefix, 'h10', 'i12', 'l13', 'm16', 'n16', 'o16', 'o18', 'o18b'], '200', 200);
  // Expected G8 -> G9 -> G11 -> 412, but the server went G8 -> H10 (If-Match never seen).
  const failing = result('a/fail', 'fail', [...prefix, 'g9', 'g11'], [...prefix, 'h10', 'i12', 'l13', 'm16', 'n16', 'o16', 'o14', 'p11', 'o20', 'o18', 'o18b'], '200', 412);

  it('marks what passing cases walked, and blames the decision a failing case disagreed at', () => {
    const c = computeCoverage([passing, failing]);
    expect(c.nodes.o18b).toBe('covered');
    expect(c.edges[edgeKey('o18b', 200)]).toBe('covered');
    expect(c.nodes.g8).toBe('failed');
    expect(c.edges[edgeKey('g8', 'g9')]).toBe('failed');
    // Not reached is not failed: G11's edge to 412 is simply not covered.
    expect(c.edges[edgeKey('g11', 412)]).toBe('uncovered');
    expect(c.nodes.n5).toBe('unreachable');
    expect(c.statuses).toEqual([200]);
  });

  it('without traces, trusts the declared paths of passing cases', () => {
    const { trace: _t, ...noTrace } = passing;
    expect(computeCoverage([noTrace]).nodes.o18).toBe('covered');
  });

  const run: RunResult = { url: 'http://example.test', repo: 'r', startedAt: '2026-01-01T00:00:00Z', ms: 5, traceExposed: true, features: {}, results: [passing, failing], deviations: 1 };

  it('renders a self-contained HTML page with the diagram', () => {
    const html = htmlReport(run, computeCoverage(run.results));
    expect(html).toContain('<svg');
    expect(html).toContain('class="node failed"');
    expect(html).toContain('multiple_choices is never offered');
    expect(html).not.toMatch(/<script|<link|\ssrc=/);
  });

  it('writes JUnit XML with escaped failures', () => {
    const xml = junitReport({ ...run, results: [{ ...failing, title: 'a <b> & "c"' }] });
    expect(xml).toContain('<failure message="status" type="deviation">a &lt;b&gt; &amp; &quot;c&quot;');
    expect(xmlEscape('\u0001x')).toBe('x');
  });
});

describe('docs/conformance.md', () => {
  it('names every case', () => {
    const doc = readFileSync(new URL('../../docs/conformance.md', import.meta.url), 'utf8');
    expect(everyCase().map((c) => c.id).filter((id) => !doc.includes(`\`${id}\``))).toEqual([]);
  });
});
