/**
 * The engine waits only where a callback made it wait: a resource whose callbacks answer plain
 * values is served, written and logged before handle() returns, with no promise (each promise
 * costs a busy front end CPU). A callback that answers a promise makes the request asynchronous
 * from there on, with the same outcome; failures are the same 500 either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halt } from '../../webmachine/index.js';
import { type Callbacks, EngineHarness, type Send } from './support.js';

const harness = new EngineHarness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

const cases: [string, Callbacks, Send, number][] = [
  ['a 200 with a body', { contentTypesProvided: [['text/plain', () => 'hello']] }, {}, 200],
  ['a 304', { generateEtag: 'e' }, { headers: { 'if-none-match': '"e"' } }, 304],
  ['a byte range', { acceptRanges: true, contentTypesProvided: [['text/plain', () => 'hello']] }, { headers: { range: 'bytes=1-2' } }, 206],
  ['a byte range under If-Range', { acceptRanges: true, generateEtag: 'e', contentTypesProvided: [['text/plain', () => 'hello']] }, { headers: { range: 'bytes=1-2', 'if-range': '"e"' } }, 206],
  ['a halt', { forbidden: halt(429) }, {}, 429],
  ['a 404', { resourceExists: false }, {}, 404],
  ['a diagram error (406)', {}, { headers: { accept: 'image/png' } }, 406],
  ['a HEAD', { contentTypesProvided: [['text/plain', () => 'hello']] }, { method: 'HEAD' }, 200],
];

describe('plain callbacks', () => {
  it.each(cases)('%s is served without a promise', async (_name, callbacks, send, status) => {
    const x = await harness.exchange(callbacks, send);
    expect([x.status, x.synchronous]).toEqual([status, true]);
  });

  it.each(cases)('%s gets the same answer when every callback answers a promise', async (_name, callbacks, send, status) => {
    const plain = await harness.exchange(callbacks, send);
    const promised = await harness.exchange(callbacks, send, {}, { async: true });
    expect(promised.synchronous).toBe(false);
    expect([promised.status, promised.text, promised.trace]).toEqual([status, plain.text, plain.trace]);
  });

  it('a callback that throws is a 500 before handle() returns; one that rejects, after', async () => {
    const boom = {
      resourceExists: () => {
        throw new Error('boom');
      },
    };
    const thrown = await harness.exchange(boom);
    expect([thrown.status, thrown.synchronous, thrown.finishCalls]).toEqual([500, true, 1]);
    const rejected = await harness.exchange(boom, {}, {}, { async: true });
    expect([rejected.status, rejected.synchronous, rejected.finishCalls]).toEqual([500, false, 1]);
  });

  it('a compressed body waits for its encoder, so it is asynchronous', async () => {
    const x = await harness.exchange(
      { encodingsProvided: ['identity', 'gzip'], contentTypesProvided: [['text/plain', () => 'x'.repeat(2000)]] },
      { headers: { 'accept-encoding': 'gzip' } },
    );
    expect([x.status, x.headers['content-encoding'], x.synchronous]).toEqual([200, 'gzip', false]);
  });
});
