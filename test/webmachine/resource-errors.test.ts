/**
 * Failures: thrown errors anywhere become a 500 problem+json (RFC 9457) plus one error log line;
 * failures while writing the response still answer a problem when nothing was sent yet, and cut
 * the connection when the body had started.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { halt, handle, engineOptions, problem, renderProblem, Resource, PROBLEM_MEDIA_TYPE } from '../../webmachine/index.js';
import { closing, EngineHarness, listening, memoryLogger, problemOf, rawRequest } from './support.js';

/** A charset converter that fails: the response fails after the flow, before anything is sent. */
const broken = (charset: string): [string, (b: Buffer) => Buffer] => [
  charset,
  () => {
    throw new Error('converter broke');
  },
];

const harness = new EngineHarness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

describe('errors thrown by callbacks', () => {
  it('answer 500 problem+json with the request id, log the error with the trace, and keep the trace', async () => {
    const logger = memoryLogger();
    const x = await harness.exchange(
      {
        isConflict: () => {
          throw new TypeError('cannot read the index');
        },
        allowedMethods: ['PUT'],
        contentTypesAccepted: [['text/plain', () => true]],
      },
      { method: 'PUT', headers: { 'content-type': 'text/plain', 'x-request-id': 'abc-1' }, body: 'x' },
      { logger, trace: true },
    );
    expect(x.status).toBe(500);
    expect(problemOf(x)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'Internal error; request id abc-1.' });
    expect(x.trace.at(-1)).toBe('o14');
    expect(x.headers['x-decision-trace']).toBe(x.trace.join(','));
    const [error] = logger.lines.filter((l) => l.level === 'error');
    expect(error!.msg).toBe('resource failed');
    expect(error!.obj).toMatchObject({ requestId: 'abc-1', method: 'PUT', path: '/', trace: x.trace });
    const request = logger.lines.find((l) => l.msg === 'request')!;
    // Debug: the application's access log already has one info line per request.
    expect(request.level).toBe('debug');
    expect(request.obj).toMatchObject({ requestId: 'abc-1', status: 500, trace: x.trace });
    expect(typeof request.obj.ms).toBe('number');
  });

  it('anything thrown counts, not only Error objects, and async rejections too', async () => {
    expect((await harness.exchange({ forbidden: () => Promise.reject(new Error('async')) })).status).toBe(500);
    expect(
      (
        await harness.exchange({
          forbidden: () => {
            throw 'a string'; // eslint-disable-line @typescript-eslint/only-throw-error
          },
        })
      ).status,
    ).toBe(500);
  });

  it('headers and body set before the failure do not leak into the 500', async () => {
    const x = await harness.exchange({
      serviceAvailable: (r) => {
        r.response.setHeader('X-Secret', 'internal');
        r.response.body = 'half-built';
        return true;
      },
      resourceExists: () => {
        throw new Error('late');
      },
    });
    expect([x.status, x.headers['x-secret'], problemOf(x).status]).toEqual([500, undefined, 500]);
  });

  it('an error the application names as known is answered with its halt and logged at warn without a stack', async () => {
    class Busy extends Error {}
    const logger = memoryLogger();
    const knownFailure = (err: unknown) => (err instanceof Busy ? halt(503, { detail: 'storage is read-only; retry' }, { 'Retry-After': '5' }) : undefined);
    const x = await harness.exchange(
      {
        serviceAvailable: (r) => {
          r.response.setHeader('X-Secret', 'internal');
          return true;
        },
        resourceExists: () => Promise.reject(new Busy('vbucket 7 is read-only')),
      },
      { headers: { 'x-request-id': 'known-1' } },
      { logger, knownFailure },
    );
    expect([x.status, x.headers['retry-after'], x.headers['x-secret'], problemOf(x)]).toEqual([503, '5', undefined, { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'storage is read-only; retry' }]);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    const [warn] = logger.lines.filter((l) => l.level === 'warn');
    expect(warn!.obj).toEqual({ requestId: 'known-1', method: 'GET', path: '/', status: 503, reason: 'vbucket 7 is read-only' });
    // Anything else it does not name stays a 500.
    expect((await harness.exchange({ resourceExists: () => Promise.reject(new Error('other')) }, {}, { knownFailure })).status).toBe(500);
  });

  it('a throwing factory is a 500 with an empty trace', async () => {
    const logger = memoryLogger();
    const server = createServer((req, res) => {
      void handle(
        () => {
          throw new Error('no resource for you');
        },
        req,
        res,
        {},
        engineOptions({ logger }),
      );
    });
    const res = await rawRequest(await listening(server), {});
    await closing(server);
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe(PROBLEM_MEDIA_TYPE);
    expect(logger.lines[0]!.obj.trace).toEqual([]);
  });

  it('a log line per request, with the trace only when tracing is on', async () => {
    const logger = memoryLogger();
    await harness.exchange({}, {}, { logger });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]!.obj).toMatchObject({ method: 'GET', path: '/', status: 200 });
    expect(logger.lines[0]!.obj.trace).toBeUndefined();
  });
});

describe('failures while writing the response', () => {
  it('before anything was sent: a clean 500 problem, no leftover headers', async () => {
    const logger = memoryLogger();
    const x = await harness.exchange(
      {
        contentTypesProvided: [['text/plain', () => 'café']],
        charsetsProvided: [broken('iso-8859-1')],
        generateEtag: 'e1',
      },
      {},
      { logger },
    );
    expect(x.status).toBe(500);
    expect(x.headers.etag).toBeUndefined();
    expect(x.headers.date).toBeDefined();
    expect(problemOf(x)).toMatchObject({ status: 500 });
    expect(logger.lines.find((l) => l.level === 'error')!.msg).toBe('response failed');
    expect(x.result.status).toBe(500);
  });

  it('a stream that fails before its first byte: a 500 problem', async () => {
    const failing = (): Readable =>
      new Readable({
        read() {
          this.destroy(new Error('disk gone'));
        },
      });
    const x = await harness.exchange({ contentTypesProvided: [['text/plain', failing]] });
    expect([x.status, problemOf(x).status]).toEqual([500, 500]);
    const head = await harness.exchange({ contentTypesProvided: [['text/plain', failing]], acceptRanges: true }, { method: 'HEAD' });
    expect(head.status).toBe(200); // HEAD never reads the stream
  });

  it('a stream that fails after the headers went out: the connection is cut', async () => {
    const logger = memoryLogger();
    let n = 0;
    const failing = new Readable({
      read() {
        if (n++ === 0) this.push(Buffer.alloc(1024, 0x61));
        else setTimeout(() => this.destroy(new Error('disk gone mid-way')), 10);
      },
    });
    await expect(harness.exchange({ contentTypesProvided: [['text/plain', () => failing]] }, {}, { logger })).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    await new Promise((r) => setTimeout(r, 50));
    expect(logger.lines.find((l) => l.level === 'error')!.msg).toBe('response failed');
  });

  it('a HEAD whose answer fails gets the 500 without a body', async () => {
    const x = await harness.exchange(
      {
        contentTypesProvided: [['text/plain', () => 'x']],
        charsetsProvided: [broken('utf-8')],
      },
      { method: 'HEAD' },
    );
    expect([x.status, x.body.length]).toEqual([500, 0]);
    expect(Number(x.headers['content-length'])).toBeGreaterThan(0);
  });
});

describe('problem details', () => {
  it('default to about:blank with the reason phrase as title; extensions are kept', () => {
    expect(problem(409, { detail: 'd', conflicts: ['a'] })).toEqual({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'd', conflicts: ['a'] });
    expect(problem(422, { type: 'https://example.com/probs/x', title: 'Bad thing' })).toEqual({ type: 'https://example.com/probs/x', title: 'Bad thing', status: 422 });
    expect(problem(599)).toEqual({ type: 'about:blank', title: 'Error', status: 599 });
    expect(JSON.parse(renderProblem(problem(404)).toString())).toEqual({ type: 'about:blank', title: 'Not Found', status: 404 });
  });

  it('a body written by a callback on an error is kept instead of the problem', async () => {
    const x = await harness.exchange({
      resourceExists: (r) => {
        r.response.body = 'custom not found';
        r.response.setHeader('Content-Type', 'text/plain');
        return false;
      },
    });
    expect([x.status, x.text, x.headers['content-type']]).toEqual([404, 'custom not found', 'text/plain']);
  });

  it('the default resource still serves its hello page', async () => {
    const server = createServer((req, res) => void handle((init) => new Resource(init), req, res, {}, engineOptions()));
    const res = await rawRequest(await listening(server), {});
    await closing(server);
    expect([res.status, res.headers['content-type'], res.body.toString()]).toEqual([200, 'text/html', '<html><body>Hello, world!</body></html>']);
  });
});
