import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseResult } from './case.js';
import { type BrokenProxy, startBrokenProxy } from './helpers/broken-proxy.js';
import { type EmbeddedServer, startEmbeddedServer } from './helpers/embedded-server.js';
import { runScript } from './helpers/run-script.js';
import { runConformance } from './run.js';

/**
 * The suite must fail where the deployment is broken. A proxy in front of a healthy server strips
 * If-Match (the precondition never reaches the origin) and drops Vary; the CLI run through it must
 * exit non-zero and name exactly those checks, while the same cases pass against the server
 * directly. Only the cases about those two headers run, to keep the test short.
 */
const ONLY = ['preconditions/if-match', 'preconditions/delete-if-match', 'branches/move-stale', 'negotiation/no-accept', 'negotiation/gzip', 'repositories/get'];

function failedChecks(results: readonly CaseResult[], id: string): string[] {
  return results.find((r) => r.id === id)?.checks.filter((c) => !c.ok).map((c) => c.name) ?? ['(case did not run)'];
}

describe('mutation: a proxy that strips If-Match and drops Vary', () => {
  let server: EmbeddedServer | undefined;
  let proxy: BrokenProxy | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'conformance-mutation-'));

  beforeAll(async () => {
    server = await startEmbeddedServer();
    proxy = await startBrokenProxy(server.url);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = (): string[] => (server?.token === undefined ? [] : ['--token', server.token]);

  it('the same cases pass against the server itself', async () => {
    const run = await runConformance({ url: server!.url, maxBodyBytes: server!.maxBodyBytes, ...(server!.token === undefined ? {} : { token: server!.token }) }, { only: ONLY });
    expect(run.results.filter((r) => r.outcome === 'fail').map((r) => `${r.id}: ${failedChecks(run.results, r.id).join(', ')}`)).toEqual([]);
  }, 60_000);

  it('exits non-zero through the proxy and names the If-Match and Vary checks', async () => {
    const report = join(dir, 'report.json');
    const out = await runScript('test/conformance/cli.ts', ['--url', proxy!.url, ...auth(), '--max-body-bytes', String(server!.maxBodyBytes), '--report', report, ...ONLY.flatMap((p) => ['--only', p])]);
    expect(out.code).toBe(1);
    const { results } = JSON.parse(readFileSync(report, 'utf8')) as { results: CaseResult[] };

    // If-Match never arrives: a lost update goes through (200 instead of 412) and the write lands.
    expect(failedChecks(results, 'preconditions/if-match-mismatch')).toEqual(expect.arrayContaining(['status', 'trace', 'file unchanged (ETag)']));
    expect(failedChecks(results, 'preconditions/if-match-weak')).toContain('status');
    expect(failedChecks(results, 'preconditions/delete-if-match-mismatch')).toContain('status');
    // The branch compare-and-swap turns into "precondition required" (428), not 412.
    expect(failedChecks(results, 'branches/move-stale')).toContain('status');
    // Vary is gone wherever the answer was negotiated.
    expect(failedChecks(results, 'negotiation/no-accept')).toEqual(['Vary']);
    expect(failedChecks(results, 'negotiation/gzip')).toEqual(['Vary']);
    expect(failedChecks(results, 'repositories/get')).toEqual(['Vary']);
    // The table says so too.
    expect(out.output).toMatch(/FAI.*preconditions\/if-match-mismatch/);
    expect(out.output).toContain('✗ Vary: expected lists Accept, Accept-Encoding, got (absent)');
  }, 60_000);
});
