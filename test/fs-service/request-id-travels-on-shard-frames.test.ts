/**
 * The request context of fs-service: an id set by runWithRequestId follows every await, rides on
 * each shard request as `rid`, and a shard logs it only when it is a short plain token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentRequestId, isRequestId, runWithRequestId, ShardServer } from '../../fs-service/index.js';
import { FrameServer } from '../../fs-service/wire/frame-server.js';
import { ShardConnection } from '../../fs-service/wire/shard-connection.js';
import { ClusterHarness } from './cluster-harness.js';

const SECRET = 'request-id-test-secret';
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** A pino logger writing JSON lines into memory. */
function memoryLogger(level: string) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('request ids', () => {
  it('accepts short plain tokens only', () => {
    for (const good of ['trace-me-123', 'a', 'A.b_c-9', '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef']) expect(isRequestId(good), good).toBe(true);
    for (const bad of ['', 'x'.repeat(65), 'a b', 'a\r\nb', 'a\nb', 'a\u0000b', 'a/b', 'a;b', 'a"b', 'ünï', '{"x":1}', 42, null, undefined, ['a'], { id: 'a' }]) {
      expect(isRequestId(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('follows awaits and timers, nests, and does not leak between concurrent requests', async () => {
    expect(currentRequestId()).toBeUndefined();
    const seen = await Promise.all(
      ['r1', 'r2', 'r3'].map((id) =>
        runWithRequestId(id, async () => {
          const before = currentRequestId();
          await tick();
          const afterAwait = currentRequestId();
          const inTimer = await new Promise((resolve) => setTimeout(() => resolve(currentRequestId()), 2));
          const nested = runWithRequestId(`${id}-inner`, () => currentRequestId());
          return [before, afterAwait, inTimer, nested, currentRequestId()];
        }),
      ),
    );
    expect(seen).toEqual(['r1', 'r2', 'r3'].map((id) => [id, id, id, `${id}-inner`, id]));
    expect(currentRequestId()).toBeUndefined();
  });
});

describe('a shard connection', () => {
  const received: Record<string, unknown>[] = [];
  let server: FrameServer;
  let connection: ShardConnection;

  beforeAll(async () => {
    server = new FrameServer({
      host: '127.0.0.1',
      port: 0,
      secret: SECRET,
      handler: (frame) => {
        received.push(frame.header);
        return {};
      },
    });
    const port = await server.listen();
    connection = new ShardConnection(`127.0.0.1:${port}`, SECRET);
  });
  afterAll(async () => {
    connection.close();
    await server.close();
  });

  it('stamps the current request id on every frame it sends, and none outside a request', async () => {
    await connection.request({ op: 'ping', n: 1 });
    await runWithRequestId('trace-me-123', async () => {
      await connection.request({ op: 'ping', n: 2 });
      await tick();
      await connection.request({ op: 'ping', n: 3 });
    });
    await connection.request({ op: 'ping', n: 4 });
    expect(received.map((h) => [h.n, h.rid])).toEqual([
      [1, undefined],
      [2, 'trace-me-123'],
      [3, 'trace-me-123'],
      [4, undefined],
    ]);
  });
});

describe('a shard process logs the request id it was given, and only a valid one', () => {
  const root = mkdtempSync(join(tmpdir(), 'fs-request-id-'));
  const log = memoryLogger('debug');
  let shard: ShardServer;
  let connection: ShardConnection;
  const etcd = new ClusterHarness(join(root, 'etcd'), SECRET);

  beforeAll(async () => {
    await etcd.startEtcd();
    // No cluster map: every client request is refused ("no-map"), which is logged at warn.
    shard = await ShardServer.start({ id: 's1', dataDir: join(root, 's1'), secret: SECRET, logger: log.logger, control: { etcd: etcd.etcd } });
    connection = new ShardConnection(`127.0.0.1:${shard.port}`, SECRET, { requestTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    connection.close();
    await shard.stop();
    await etcd.stopAll();
    rmSync(root, { recursive: true, force: true });
  });

  const refusal = (rid: unknown) => connection.request({ op: 'stat', repo: 'book', vb: 0, epoch: 1, path: '/HEAD', ...(rid === undefined ? {} : { rid }) }).then(
    () => 'answered',
    (err: Error & { code?: string }) => err.code,
  );

  it('a refusal names the request at warn', async () => {
    expect(await refusal('trace-me-123')).toBe('ESTALE');
    const line = log.entries().find((e) => e.requestId === 'trace-me-123');
    expect(line).toMatchObject({ level: 40, msg: 'fs request refused', op: 'stat', repo: 'book', path: '/HEAD', reason: 'no-map' });
  });

  it('hostile request ids are ignored, never written, and the request is still served', async () => {
    const hostile = ['forged-rid\n{"level":60,"msg":"forged"}', `forged-rid-${'x'.repeat(60)}`, 'forged rid', 'forged-rid;', '../forged-rid', 'forged-rid\u0000', 'forged-rid\r\nX-Evil: 1', { id: 'forged-rid' }, ['forged-rid'], 42];
    const before = log.lines.length;
    for (const rid of hostile) expect(await refusal(rid)).toBe('ESTALE');
    const lines = log.lines.slice(before);
    expect(lines).toHaveLength(hostile.length);
    for (const line of lines) {
      expect(line).not.toContain('forged');
      expect(JSON.parse(line)).not.toHaveProperty('requestId');
    }
  });

  it('a request without an id (an older client) is served and logged without one', async () => {
    const before = log.lines.length;
    expect(await refusal(undefined)).toBe('ESTALE');
    const [line] = log.entries().slice(before);
    expect(line).toMatchObject({ op: 'stat', reason: 'no-map' });
    expect(line).not.toHaveProperty('requestId');
  });
});
