/**
 * Test support for the webmachine engine: a resource whose callbacks are set per case, and a real
 * HTTP exchange (127.0.0.1) that records what `handle()` returned (status and decision trace).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type EngineOptions, engineOptions, handle, type HandleResult, type Logger, Resource, type ResourceInit } from '../../webmachine/index.js';

/** The names of Resource's callbacks. */
export type CallbackName = {
  [K in keyof Resource]: Resource[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Resource];

type Answer<K extends CallbackName> = ReturnType<Resource[K]>;

/** Per-case callbacks: a fixed answer, or a function of the resource (for answers that depend on the request). */
export type Callbacks = { [K in CallbackName]?: Answer<K> | ((r: TestResource) => Answer<K>) };

/** A Resource whose callbacks come from a table row; everything else keeps the engine's defaults. */
export class TestResource extends Resource {
  /** Names of the callbacks the flow called, in order (from the table's callbacks only). */
  readonly called: string[] = [];

  /** With `async`, every callback answers a promise (the flow must give the same answers). */
  constructor(init: ResourceInit, callbacks: Callbacks, async = false) {
    super(init);
    for (const [name, answer] of Object.entries(callbacks)) {
      const call = (): unknown => (typeof answer === 'function' ? (answer as (r: TestResource) => unknown)(this) : answer);
      Object.defineProperty(this, name, {
        value: () => {
          this.called.push(name);
          return async ? Promise.resolve().then(call) : call();
        },
      });
    }
  }
}

export interface Exchange {
  /** handle() answered a plain value, not a promise: nothing in the request waited. */
  synchronous: boolean;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** What handle() returned. */
  result: HandleResult;
  trace: string[];
  /** The resource that served the request (its `called` list, `chosen`...). */
  resource: TestResource;
  /** How often finish_request ran. */
  finishCalls: number;
}

export interface Send {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

/** Starts a server on an ephemeral port of 127.0.0.1 and answers the port. */
export async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Closes a server and every connection it still holds. */
export async function closing(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A logger that keeps every line, for asserting what the engine logged. */
export function memoryLogger(): Logger & { lines: { level: string; obj: Record<string, unknown>; msg?: string }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, ...(msg === undefined ? {} : { msg }) });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * One server per test file: each `exchange` installs the case's resource, sends one request over a
 * fresh connection and resolves when both the response was read and handle() returned.
 */
export class EngineHarness {
  private server: Server | undefined;
  private port_ = 0;
  private current: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.current!(req, res));
    this.port_ = await listening(this.server);
  }

  stop(): Promise<void> {
    return closing(this.server);
  }

  async exchange(callbacks: Callbacks, send: Send = {}, options: Partial<EngineOptions> = {}, mode: { async?: boolean } = {}): Promise<Exchange> {
    const opts = engineOptions(options);
    let resource: TestResource | undefined;
    let finishCalls = 0;
    const factory = (init: ResourceInit): TestResource => {
      const finish = callbacks.finishRequest;
      resource = new TestResource(
        init,
        {
          ...callbacks,
          finishRequest: (r) => {
            finishCalls++;
            return typeof finish === 'function' ? finish(r) : finish;
          },
        },
        mode.async,
      );
      return resource;
    };
    let handled!: HandleResult | Promise<HandleResult>;
    this.current = (req, res) => {
      handled = handle(factory, req, res, {}, opts);
    };
    const response = await this.send(send);
    const synchronous = !(handled instanceof Promise);
    const result = await handled;
    const body = response.body;
    return {
      synchronous,
      status: response.status,
      headers: response.headers,
      body,
      text: body.toString('utf8'),
      result,
      trace: result.trace,
      resource: resource!,
      finishCalls,
    };
  }

  /** Serves every following request with a resource of these callbacks (for raw-socket tests). */
  install(callbacks: Callbacks, options: Partial<EngineOptions> = {}): void {
    const opts = engineOptions(options);
    this.current = (req, res) => void handle((init) => new TestResource(init, callbacks), req, res, {}, opts);
  }

  /** The port, for clients that talk to the server directly. */
  get port(): number {
    return this.port_;
  }

  send(send: Send): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    return rawRequest(this.port_, send);
  }
}

/** One request on a fresh connection; resolves with the whole response. */
export function rawRequest(port: number, send: Send): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...send.headers };
    // Node's client sends a GET/DELETE body without any framing unless told its length.
    if (send.body !== undefined && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
      headers['content-length'] = String(Buffer.byteLength(send.body));
    }
    const req = httpRequest(
      { host: '127.0.0.1', port, method: send.method ?? 'GET', path: send.path ?? '/', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(send.body);
  });
}

/** The JSON of a problem+json body. */
export function problemOf(x: { headers: IncomingHttpHeaders; text: string }): Record<string, unknown> {
  if (x.headers['content-type'] !== 'application/problem+json') throw new Error(`not a problem: ${String(x.headers['content-type'])} ${x.text}`);
  return JSON.parse(x.text) as Record<string, unknown>;
}
