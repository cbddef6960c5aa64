/** finish_request runs exactly once for every response (success, halt, error), last, and may still change it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halt } from '../../webmachine/index.js';
import { type Callbacks, EngineHarness, memoryLogger, problemOf, type Send } from './support.js';

const harness = new EngineHarness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

const stamp: Callbacks['finishRequest'] = (r) => {
  r.response.setHeader('X-Finished', r.called.at(-2) ?? 'none');
};

describe('finish_request', () => {
  it.each<[string, Callbacks, Send, number]>([
    ['a 200', {}, {}, 200],
    ['a 304', { generateEtag: 'e' }, { headers: { 'if-none-match': '"e"' } }, 304],
    ['an OPTIONS answer', { allowedMethods: ['OPTIONS'] }, { method: 'OPTIONS' }, 200],
    ['a diagram error (406)', {}, { headers: { accept: 'image/png' } }, 406],
    ['a halt', { forbidden: halt(429) }, {}, 429],
    ['a body over the limit (413 while reading)', { validateContentChecksum: undefined }, { method: 'GET', headers: { 'content-md5': 'x' }, body: 'x'.repeat(100) }, 413],
  ])('runs once, last, and can add headers: %s', async (_name, cb, send, status) => {
    const x = await harness.exchange({ ...cb, finishRequest: stamp }, send, { maxBodyBytes: 10 });
    expect(x.status).toBe(status);
    expect(x.finishCalls).toBe(1);
    expect(x.resource.called.at(-1)).toBe('finishRequest');
    expect(x.headers['x-finished']).toBeDefined();
  });

  it('runs once when a callback threw; what it sets cannot leak into the 500', async () => {
    const x = await harness.exchange({
      resourceExists: () => {
        throw new Error('boom');
      },
      finishRequest: stamp,
    });
    expect([x.status, x.finishCalls, x.headers['x-finished']]).toEqual([500, 1, undefined]);
  });

  it('a halt from finish_request replaces the answer, body and all', async () => {
    const x = await harness.exchange({ finishRequest: halt(503, { detail: 'draining' }, { 'Retry-After': '5' }) });
    expect(x.status).toBe(503);
    expect(x.headers['retry-after']).toBe('5');
    expect(problemOf(x)).toMatchObject({ status: 503, detail: 'draining' });
    expect(x.result.status).toBe(503);
  });

  it('a halt to a non-error status keeps the body', async () => {
    const x = await harness.exchange({ contentTypesProvided: [['text/plain', () => 'kept']], finishRequest: halt(203) });
    expect([x.status, x.text]).toEqual([203, 'kept']);
  });

  it('throwing in finish_request is a 500, and it is not called again', async () => {
    const logger = memoryLogger();
    const x = await harness.exchange(
      {
        finishRequest: () => {
          throw new Error('cleanup failed');
        },
      },
      {},
      { logger },
    );
    expect([x.status, x.finishCalls]).toEqual([500, 1]);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['resource failed']);
  });

  it('throwing in finish_request after a callback threw is logged; the answer stays 500', async () => {
    const logger = memoryLogger();
    const x = await harness.exchange(
      {
        serviceAvailable: () => {
          throw new Error('first');
        },
        finishRequest: () => Promise.reject(new Error('second')),
      },
      {},
      { logger },
    );
    expect([x.status, x.finishCalls]).toEqual([500, 1]);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => [l.msg, (l.obj.err as Error).message])).toEqual([
      ['resource failed', 'first'],
      ['finish_request failed', 'second'],
    ]);
  });
});
