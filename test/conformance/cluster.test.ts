import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './helpers/cluster.js';
import { freePort } from './helpers/embedded-server.js';
import { expectDiagramCovered, expectOnlyKnownDeviations, expectStatusesProven } from './helpers/expectations.js';
import { CLUSTER_DEVIATIONS, KNOWN_DEVIATIONS } from './helpers/known-deviations.js';
import { type RunResult, runConformance } from './run.js';

/**
 * The same suite against the nginx cluster (two front ends over three shards): what the embedded
 * server does must hold behind the balancer too, with each request landing on either front end.
 */

describe('conformance run against the nginx cluster', () => {
  let cluster: Cluster | undefined;
  let run: RunResult;

  beforeAll(async () => {
    cluster = await startCluster(await freePort());
    run = await runConformance({ url: cluster.url, token: cluster.token, maxBodyBytes: cluster.maxBodyBytes });
  }, 150_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it('finds no deviation beyond the known ones (nginx answers oversized bodies itself)', () => {
    expectOnlyKnownDeviations(run, { ...KNOWN_DEVIATIONS, ...CLUSTER_DEVIATIONS });
  });

  it('sees decision traces through nginx', () => {
    expect(run.traceExposed).toBe(true);
  });

  it('proves every terminal status the API can produce (413 comes from nginx here)', () => {
    expectStatusesProven(run, true, [413]);
  });

  it('covers the diagram as on one server (B4 -> 413 and P3 -> 413 are nginx\'s)', () => {
    expectDiagramCovered(run, true, ['b4>413', 'p3>413']);
  });
});
