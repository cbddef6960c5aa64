/**
 * One id follows a request from the front end into the shard processes: a REST request with
 * `X-Request-Id: trace-me-123`, served over real shards, leaves shard log lines (LOG_LEVEL=debug)
 * that carry `"requestId":"trace-me-123"` on the primary and, for the write it replicates, on the
 * copies. Ids that are not plain tokens, sent raw to a shard, are ignored and never written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf, type ClusterStorage } from '../../../fs-service/index.js';
import { ShardConnection } from '../../../fs-service/wire/shard-connection.js';
import { ClusterHarness, TEST_SECRET } from '../../fs-service/cluster-harness.js';
import { capturedLogger } from '../api/helpers/front-end.js';
import { startApi, type ApiHarness } from '../api/helpers/harness.js';

const root = mkdtempSync(join(tmpdir(), 'request-id-cluster-'));
const cluster = new ClusterHarness(root, TEST_SECRET, { LOG_LEVEL: 'debug' });
const frontEnd = capturedLogger();
let storage: ClusterStorage;
let api: ApiHarness;

interface ShardLine {
  msg: string;
  op?: string;
  repo?: string;
  path?: string;
  ms?: number;
  requestId?: string;
}

/** Every JSON line of one shard's log. */
function shardLines(id: string): ShardLine[] {
  return cluster
    .log(id)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ShardLine);
}

/** Waits until `check` holds for the shard logs (a child's stderr reaches its file a little later). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not within 5 s: ${what}`);
}

const withId = (id: string, requestId: string) => shardLines(id).filter((line) => line.requestId === requestId);

beforeAll(async () => {
  await cluster.startShards(['s1', 's2', 's3']);
  await cluster.startSupervisor();
  storage = await cluster.connect();
  api = await startApi({ storage, logger: frontEnd.logger });
});
afterAll(async () => {
  await api?.close();
  await storage?.close();
  await cluster.stopAll();
  rmSync(root, { recursive: true, force: true });
});

describe('a request id across the front end and the shards', () => {
  it('a REST write and read with X-Request-Id leave shard lines carrying it, on the primary and the copies', async () => {
    const copies = storage.map.vbuckets[vbucketOf('traced')]!.copies;
    const created = await api.client.put('/repos/traced').set('Content-Type', 'application/json').set('X-Request-Id', 'trace-me-123').send({});
    expect(created.status, created.text).toBe(201);
    expect(created.headers['x-request-id']).toBe('trace-me-123');

    await eventually(() => withId(copies[0]!, 'trace-me-123').some((l) => l.op === 'mutate'), 'the primary logs the write under the id');
    const primary = withId(copies[0]!, 'trace-me-123');
    expect(cluster.log(copies[0]!)).toContain('"requestId":"trace-me-123"');
    for (const line of primary) {
      // Creating a repository also appends to the service's event log (system.git), for webhooks.
      expect(line).toMatchObject({ msg: 'fs request', repo: expect.stringMatching(/^(traced|system\.git)$/) });
      expect(typeof line.ms).toBe('number');
    }
    // Replication caused by the request carries its id to the copies.
    await eventually(() => copies.slice(1).some((id) => withId(id, 'trace-me-123').some((l) => l.op === 'replicate')), 'a copy logs the replicated update under the id');

    const read = await api.client.get('/repos/traced').set('X-Request-Id', 'trace-me-456');
    expect(read.status).toBe(200);
    await eventually(() => copies.some((id) => withId(id, 'trace-me-456').some((l) => l.op !== undefined && ['readFile', 'stat', 'readMany', 'readdir'].includes(l.op))), 'a shard logs the reads under the second id');
    // No line of another request borrowed these ids.
    for (const id of copies) for (const line of shardLines(id)) if (line.requestId === 'trace-me-123') expect(line.op === undefined || line.repo === 'traced' || line.repo === 'system.git').toBe(true);

    // The front end's access line names the same id.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(frontEnd.text()).toMatch(/"requestId":"trace-me-123"[^\n]*"msg":"access"/);
  });

  it('hostile request ids sent raw to a shard are ignored, not logged, and the requests still served', async () => {
    const map = storage.map;
    const vb = vbucketOf('traced');
    const primary = map.vbuckets[vb]!.copies[0]!;
    const connection = new ShardConnection(`127.0.0.1:${cluster.shards.get(primary)!.port}`, cluster.secret, { requestTimeoutMs: 5_000 });
    try {
      const stat = (rid?: unknown) => connection.request({ op: 'stat', repo: 'traced', vb, epoch: storage.map.epoch, path: '/HEAD', ...(rid === undefined ? {} : { rid }) });
      const hostile = ['forged-rid\n{"level":60,"msg":"forged"}', `forged-rid-${'x'.repeat(60)}`, 'forged rid', 'forged-rid;', '../forged-rid', 'forged-rid\u0000', 'forged-rid\r\nX-Evil: 1', 'forged-rïd', { id: 'forged-rid' }, ['forged-rid']];
      for (const rid of hostile) expect((await stat(rid)).header.ok).toBe(true);
      // An older client sends no id at all.
      expect((await stat()).header.ok).toBe(true);
      // A valid id after them: once it is in the log, everything sent before it is too.
      expect((await stat('raw-rid-ok')).header.ok).toBe(true);
      await eventually(() => withId(primary, 'raw-rid-ok').length > 0, 'the valid raw id is logged');
      expect(cluster.log(primary)).not.toContain('forged');
      const statLines = shardLines(primary).filter((l) => l.op === 'stat' && l.repo === 'traced' && l.path === '/HEAD');
      expect(statLines.filter((l) => l.requestId === undefined).length).toBeGreaterThanOrEqual(hostile.length + 1);
    } finally {
      connection.close();
    }
  });
});
