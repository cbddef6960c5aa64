/**
 * The engine mounted on Express with `resource()`: Express routes and runs middleware, the engine
 * decides. Conneg, 405+Allow, 406, 414, 415, 501, HEAD, OPTIONS, Date and problem+json on every
 * answer, 500 with a log line, finish_request on every response, route parameters, mounted routers.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import express, { type NextFunction, type Request as ExpressRequest, type Response as ExpressResponse } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ContentTypesAccepted,
  type ContentTypesProvided,
  halt,
  type Outcome,
  Resource,
  resource,
  type ResourceInit,
} from '../../webmachine/index.js';
import { closing, listening, memoryLogger, rawRequest } from './support.js';

interface Item {
  text: string;
  version: number;
}
const store = new Map<string, Item>();
let finishCalls = 0;
let nextId = 1;

/** A small JSON/HTML item resource, the way a service would write one. */
class ItemResource extends Resource {
  private item: Item | undefined;

  constructor(init: ResourceInit) {
    super(init);
  }
  private get id(): string {
    return this.request.params.id ?? '';
  }
  override allowedMethods(): string[] {
    return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'];
  }
  override isAuthorized(): true | string {
    return this.request.header('authorization') === 'Bearer nope' ? 'Bearer realm="items"' : true;
  }
  override forbidden(): Outcome<boolean> {
    return this.request.header('x-rate') === 'exceeded' ? halt(429, { detail: 'Too many requests.' }, { 'Retry-After': '1' }) : false;
  }
  override contentTypesProvided(): ContentTypesProvided {
    return [
      ['application/json', () => JSON.stringify({ id: this.id, text: this.item!.text })],
      ['text/html', () => `<p>${this.item!.text}</p>`],
    ];
  }
  override contentTypesAccepted(): ContentTypesAccepted {
    return [['application/json', () => this.store()]];
  }
  private async store(): Promise<boolean> {
    const raw = await this.request.body();
    const parsed = JSON.parse(raw.toString('utf8')) as { text?: unknown };
    if (typeof parsed.text !== 'string') return false;
    store.set(this.id, { text: parsed.text, version: (this.item?.version ?? 0) + 1 });
    return true;
  }
  override resourceExists(): boolean {
    this.item = store.get(this.id);
    return this.item !== undefined;
  }
  override generateEtag(): string | undefined {
    return this.item === undefined ? undefined : `${this.id}.${this.item.version}`;
  }
  override deleteResource(): boolean {
    return store.delete(this.id);
  }
  override finishRequest(): void {
    finishCalls++;
  }
}

/** A collection that creates items with POST. */
class ItemsResource extends Resource {
  private created = '';
  constructor(init: ResourceInit) {
    super(init);
  }
  override allowedMethods(): string[] {
    return ['POST'];
  }
  override postIsCreate(): boolean {
    return true;
  }
  override createPath(): string {
    this.created = String(nextId++);
    return this.created;
  }
  override contentTypesAccepted(): ContentTypesAccepted {
    return [
      [
        'application/json',
        async () => {
          const parsed = JSON.parse((await this.request.body()).toString('utf8')) as { text: string };
          store.set(this.created, { text: parsed.text, version: 1 });
          return true;
        },
      ],
    ];
  }
}

class Boom extends Resource {
  override resourceExists(): boolean {
    throw new Error('the database is on fire');
  }
  override finishRequest(): void {
    finishCalls++;
  }
}

class Echo extends Resource {
  override contentTypesProvided(): ContentTypesProvided {
    return [['text/plain', () => `${this.request.path} ${this.request.url.host}`]];
  }
}

const logger = memoryLogger();
const errors: unknown[] = [];
let server: Server;
let port: number;

beforeAll(async () => {
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('X-Middleware', 'ran');
    next();
  });
  app.all('/items/:id', resource((init) => new ItemResource(init), { logger }));
  app.all('/boom', resource((init) => new Boom(init), { logger }));
  app.all('/traced', resource((init) => new Resource(init), { trace: true }));
  app.all('/parsed', express.json(), resource((init) => new ItemResource(init), { logger }));
  const api = express.Router();
  api.all('/items', resource((init) => new ItemsResource(init)));
  app.use('/api', api);
  app.all('/echo/{*rest}', resource((init) => new Echo(init)));
  app.all('/small/:id', resource((init) => new ItemResource(init), { maxUriBytes: 64 }));
  app.all('/log-fails', resource((init) => new Resource(init), { logger: { ...memoryLogger(), debug: () => { throw new Error('log sink down'); } } }));
  app.use((err: unknown, _req: ExpressRequest, res: ExpressResponse, _next: NextFunction) => {
    errors.push(err);
    if (!res.headersSent) res.status(500).end();
  });
  server = createServer(app);
  port = await listening(server);
});
afterAll(() => closing(server));
beforeEach(() => {
  store.clear();
  store.set('1', { text: 'first', version: 3 });
  logger.lines.length = 0;
});

describe('content negotiation', () => {
  it('serves the type the client prefers, with Vary: Accept', async () => {
    const json = await request(server).get('/items/1').set('Accept', 'application/json');
    expect(json.status).toBe(200);
    expect(json.headers['content-type']).toBe('application/json');
    expect(json.headers.vary).toBe('Accept');
    expect(JSON.parse(json.text)).toEqual({ id: '1', text: 'first' });
    const html = await request(server).get('/items/1').set('Accept', 'text/html;q=0.9, application/json;q=0.8');
    expect([html.headers['content-type'], html.text]).toEqual(['text/html', '<p>first</p>']);
  });

  it('the first provided type without Accept', async () => {
    const res = await request(server).get('/items/1');
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('406 with a problem listing what is available', async () => {
    const res = await request(server).get('/items/1').set('Accept', 'image/png');
    expect(res.status).toBe(406);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Not Acceptable', status: 406, available: ['application/json', 'text/html'] });
  });
});

describe('method and request checks', () => {
  it('405 with Allow', async () => {
    const res = await request(server).post('/items/1').send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, DELETE, OPTIONS');
    expect(res.body).toMatchObject({ status: 405, detail: 'Allowed methods: GET, HEAD, PUT, DELETE, OPTIONS.' });
  });

  it('414 for a request-target over maxUriBytes', async () => {
    const res = await request(server).get(`/small/${'x'.repeat(100)}`);
    expect(res.status).toBe(414);
    expect(res.body).toMatchObject({ status: 414, title: 'URI Too Long' });
    expect((await request(server).get('/small/1')).status).toBe(200);
  });

  it('414 with the default limit of 8 KiB', async () => {
    const res = await request(server).get(`/items/${'x'.repeat(9000)}`);
    expect(res.status).toBe(414);
  });

  it('415 with the accepted types when the Content-Type is not taken', async () => {
    const res = await request(server).put('/items/1').set('Content-Type', 'text/plain').send('hello');
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ status: 415, accepted: ['application/json'] });
    expect(store.get('1')!.text).toBe('first');
  });

  it('400 when the acceptor refuses the body (rfc)', async () => {
    const res = await request(server).put('/items/1').send({ text: 42 });
    expect(res.status).toBe(400);
  });

  it('PUT updates, DELETE deletes, GET then 404s', async () => {
    expect((await request(server).put('/items/1').send({ text: 'second' })).status).toBe(204);
    expect(store.get('1')).toEqual({ text: 'second', version: 4 });
    expect((await request(server).put('/items/2').send({ text: 'new' })).status).toBe(201);
    expect((await request(server).delete('/items/1')).status).toBe(204);
    const gone = await request(server).get('/items/1');
    expect([gone.status, gone.body.status, gone.body.detail]).toEqual([404, 404, 'Nothing is found at /items/1.']);
  });

  it.each(['PROPFIND', 'MKCOL', 'LINK', 'MOVE', 'COPY'])('501 for %s, a method Node parses but the resource does not know', async (method) => {
    const res = await rawRequest(port, { method, path: '/items/1' });
    expect(res.status).toBe(501);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body.toString())).toMatchObject({ status: 501, title: 'Not Implemented' });
  });

  it("a method Node's parser does not know gets Node's own 400 before any code runs", async () => {
    const before = finishCalls;
    const socket = connect(port, '127.0.0.1');
    socket.end('FROBNICATE /items/1 HTTP/1.1\r\nHost: x\r\n\r\n');
    let answer = '';
    for await (const chunk of socket) answer += String(chunk);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(finishCalls).toBe(before);
  });
});

describe('HEAD and OPTIONS', () => {
  it('HEAD has no body and the same headers as GET, Content-Length included', async () => {
    const get = await request(server).get('/items/1');
    const head = await request(server).head('/items/1');
    expect(head.status).toBe(200);
    expect(head.text ?? '').toBe('');
    const strip = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([k]) => !['date', 'connection', 'keep-alive'].includes(k)));
    expect(strip(head.headers)).toEqual(strip(get.headers));
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
  });

  it('HEAD of an error: the problem headers, no body', async () => {
    const res = await request(server).head('/items/404');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
  });

  it('OPTIONS answers 200 with Allow and an empty body', async () => {
    const res = await request(server).options('/items/1');
    expect(res.status).toBe(200);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, DELETE, OPTIONS');
    expect(res.headers['content-length']).toBe('0');
    expect(res.headers['content-type']).toBeUndefined();
  });
});

describe('every answer', () => {
  const cases: [string, () => request.Test, number][] = [
    ['200', () => request(server).get('/items/1'), 200],
    ['201', () => request(server).put('/items/9').send({ text: 'x' }), 201],
    ['204', () => request(server).delete('/items/1'), 204],
    ['304', () => request(server).get('/items/1').set('If-None-Match', '"1.3"'), 304],
    ['401', () => request(server).get('/items/1').set('Authorization', 'Bearer nope'), 401],
    ['404', () => request(server).get('/items/7'), 404],
    ['405', () => request(server).patch('/items/1'), 405],
    ['406', () => request(server).get('/items/1').set('Accept', 'text/csv'), 406],
    ['412', () => request(server).put('/items/1').set('If-Match', '"1.2"').send({ text: 'x' }), 412],
    ['415', () => request(server).put('/items/1').set('Content-Type', 'text/csv').send('a,b'), 415],
    ['429 (halt)', () => request(server).get('/items/1').set('X-Rate', 'exceeded'), 429],
    ['500', () => request(server).get('/boom'), 500],
    ['OPTIONS', () => request(server).options('/items/1'), 200],
  ];

  it.each(cases)('%s carries Date; errors are problem+json; finish_request ran once', async (_name, send, status) => {
    const before = finishCalls;
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.date).toMatch(/GMT$/);
    expect(Math.abs(Date.parse(res.headers.date!) - Date.now())).toBeLessThan(5000);
    expect(res.headers['x-middleware']).toBe('ran');
    if (status >= 400) {
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body).toMatchObject({ type: 'about:blank', status });
      expect(typeof res.body.title).toBe('string');
    }
    expect(finishCalls - before).toBe(1);
  });

  it('401 carries the challenge', async () => {
    const res = await request(server).get('/items/1').set('Authorization', 'Bearer nope');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="items"');
  });
});

describe('errors thrown by callbacks', () => {
  it('become a 500 problem naming the request id, and one error log line with the error and trace', async () => {
    const res = await request(server).get('/boom').set('X-Request-Id', 'req-42');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'Internal error; request id req-42.' });
    expect(res.text).not.toMatch(/fire|at /);
    const failed = logger.lines.filter((l) => l.level === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.msg).toBe('resource failed');
    expect(failed[0]!.obj).toMatchObject({ requestId: 'req-42', method: 'GET', path: '/boom' });
    expect((failed[0]!.obj.err as Error).message).toBe('the database is on fire');
    expect((failed[0]!.obj.trace as string[]).at(-1)).toBe('g7');
    const info = logger.lines.find((l) => l.msg === 'request');
    expect(info!.obj).toMatchObject({ requestId: 'req-42', status: 500 });
  });

  it('a request id is generated when the client sends none', async () => {
    const res = await request(server).get('/boom');
    expect(res.body.detail).toMatch(/request id [0-9a-f-]{36}\./);
  });

  it('a body-parsing middleware in front of the engine is reported, not silently hung', async () => {
    const res = await request(server).put('/parsed').send({ text: 'x' });
    expect(res.status).toBe(500);
    expect(String((logger.lines.find((l) => l.level === 'error')!.obj.err as Error).message)).toMatch(/body-parsing middleware/);
  });

  it('a failure after the answer (here: the log sink) reaches Express error handling', async () => {
    const res = await request(server).get('/log-fails');
    expect(res.status).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(String((errors.at(-1) as Error).message)).toBe('log sink down');
  });
});

describe('routing', () => {
  it('route parameters reach the resource', async () => {
    store.set('abc', { text: 'by param', version: 1 });
    const res = await request(server).get('/items/abc');
    expect(res.body).toEqual({ id: 'abc', text: 'by param' });
  });

  it('Location is built from the full path, also inside a mounted router', async () => {
    const res = await request(server).post('/api/items').send({ text: 'created' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/items\/\d+$/);
    expect(store.get(res.headers.location!.split('/').at(-1)!)!.text).toBe('created');
  });

  it('the X-Decision-Trace header when the trace option is on', async () => {
    const res = await request(server).get('/traced');
    expect(res.headers['x-decision-trace']).toBe('b13,b12,b11,b10,b9,b9b,b8,b7,b6,b5,b4,b3,c3,d4,e5,f6,f7,g7,g7a,g8,h10,i12,l13,m16,n16,o16,o18,o18b'); // superagent sends Accept-Encoding
    expect((await request(server).get('/items/1')).headers['x-decision-trace']).toBeUndefined();
  });

  it('a path starting with // stays a path, and an invalid Host does not break the request', async () => {
    const res = await rawRequest(port, { path: '/echo//evil.example/x?q=1' });
    expect(res.body.toString()).toBe(`/echo//evil.example/x 127.0.0.1:${port}`);
    const badHost = await rawRequest(port, { path: '/echo/a', headers: { host: 'bad host' } });
    expect([badHost.status, badHost.body.toString()]).toEqual([200, '/echo/a localhost']);
  });
});
