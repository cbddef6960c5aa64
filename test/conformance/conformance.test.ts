import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyCase } from './cases/index.js';
import { computeCoverage } from './coverage.js';
import { type EmbeddedServer, startEmbeddedServer } from './helpers/embedded-server.js';
import { expectDiagramCovered, expectOnlyKnownDeviations, expectStatusesProven } from './helpers/expectations.js';
import { CLUSTER_DEVIATIONS, KNOWN_DEVIATIONS } from './helpers/known-deviations.js';
import { htmlReport } from './reporters/html-diagram.js';
import { jsonReport } from './reporters/json.js';
import { junitReport } from './reporters/junit.js';
import { type RunResult, runConformance } from './run.js';

describe('conformance run against the embedded server', () => {
  let server: EmbeddedServer | undefined;
  let run: RunResult;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    run = await runConformance({ url: server.url, maxBodyBytes: server.maxBodyBytes, ...(server.token === undefined ? {} : { token: server.token }) });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('creates its scratch repository and runs every group to the end', () => {
    expect(run.fatal).toBeUndefined();
    expect(run.results.length).toBeGreaterThan(150);
  });

  it('finds no deviation on the endpoints the server serves, beyond the known ones', () => {
    expectOnlyKnownDeviations(run, KNOWN_DEVIATIONS);
  });

  it('names only known deviations that are real cases', () => {
    const ids = new Set(everyCase().map((c) => c.id));
    expect(Object.keys({ ...KNOWN_DEVIATIONS, ...CLUSTER_DEVIATIONS }).filter((id) => !ids.has(id))).toEqual([]);
  });

  it('compares decision traces node by node (the server exposes them)', () => {
    expect(run.traceExposed).toBe(true);
  });

  it('proves every terminal status the API can produce', () => {
    expectStatusesProven(run, server?.token !== undefined);
  });

  it('covers every node and edge of the diagram except those unreachable from outside, on paths the diagram has', () => {
    expectDiagramCovered(run, server?.token !== undefined);
  });

  it('runs the access-control cases when the server has access control', () => {
    const skipped = run.results.filter((r) => r.outcome === 'skip').map((r) => r.id);
    // Without a token only the auth cases may be skipped; with one, nothing is.
    expect(server?.token === undefined ? skipped.filter((id) => !id.startsWith('auth/')) : skipped).toEqual([]);
  });

  it('deletes its scratch repository: 410 afterwards', async () => {
    const res = await fetch(`${server!.url}/repos/${run.repo}`, { headers: server?.token === undefined ? {} : { Authorization: `Bearer ${server.token}` } });
    expect(res.status).toBe(410);
  });

  it('writes JSON, JUnit XML and a self-contained HTML diagram', () => {
    const coverage = computeCoverage(run.results);
    const json = JSON.parse(jsonReport(run, coverage)) as { results: unknown[]; coverage: { nodes: Record<string, string> } };
    expect(json.results).toHaveLength(run.results.length);
    expect(json.coverage.nodes.g11).toBe('covered');
    const xml = junitReport(run);
    expect(xml).toMatch(new RegExp(`<testsuites name="conformance" tests="${run.results.length}" failures="${run.results.filter((r) => r.outcome === 'fail').length}"`));
    const html = htmlReport(run, coverage);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|\ssrc=|@import/);
    // The token must never reach a report.
    if (server?.token !== undefined) expect(`${JSON.stringify(json)}${xml}${html}`).not.toContain(/^crt_[0-9a-f]{16}_(.+)$/.exec(server.token)?.[1] ?? server.token);
  });
});
