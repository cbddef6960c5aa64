import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * A raw HTTP client on node:http, because the cases must control every header: fetch adds
 * Accept, Accept-Language and Accept-Encoding of its own (which would change the decision path)
 * and decodes bodies. Nothing is sent that the case did not ask for, except Host and the framing
 * headers (Content-Length or Transfer-Encoding).
 */

export interface HttpRequest {
  method: string;
  /** Origin-form target: path and query, sent exactly as given (no normalisation). */
  target: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Announce this Content-Length, then send nothing: the server must answer before the body. */
  announceLength?: number;
  /** Stream this many bytes chunked (no Content-Length), stopping early if the server answers. */
  chunkedBytes?: number;
  timeoutMs?: number;
}

export interface Exchange {
  method: string;
  target: string;
  requestHeaders: Record<string, string>;
  /** 0 when no response arrived (see error). */
  status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** Whether the server sent 100 Continue before its answer. */
  continued: boolean;
  /** X-Decision-Trace split into node ids, when the deployment exposes it. */
  trace?: string[];
  error?: string;
  ms: number;
}

const DEFAULT_TIMEOUT = 20_000;
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

function flatten(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class HttpClient {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(baseUrl: string) {
    this.base = new URL(baseUrl);
    const https = this.base.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
  }

  /** The absolute URL of a target, for git and for resolving Location. */
  url(target: string): string {
    return new URL(target, this.base).toString();
  }

  close(): void {
    this.agent.destroy();
  }

  request(req: HttpRequest): Promise<Exchange> {
    const started = Date.now();
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    if (req.announceLength !== undefined) headers['Content-Length'] = String(req.announceLength);
    if (req.chunkedBytes !== undefined) headers['Transfer-Encoding'] = 'chunked';
    // Requests that leave a body unsent must not hand a half-used socket back to the pool.
    const dedicated = req.announceLength !== undefined || req.chunkedBytes !== undefined;
    const options: RequestOptions = {
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      port: this.base.port,
      method: req.method,
      path: req.target,
      headers,
      agent: dedicated ? false : this.agent,
      setHost: true,
    };
    return new Promise<Exchange>((resolve) => {
      let done = false;
      let continued = false;
      const finish = (partial: Partial<Exchange>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const responseHeaders = partial.headers ?? {};
        const trace = responseHeaders['x-decision-trace'];
        resolve({
          method: req.method,
          target: req.target,
          requestHeaders: headers,
          status: partial.status ?? 0,
          headers: responseHeaders,
          body: partial.body ?? Buffer.alloc(0),
          continued,
          ...(trace === undefined ? {} : { trace: trace.split(',').map((s) => s.trim()).filter((s) => s !== '') }),
          ...(partial.error === undefined ? {} : { error: partial.error }),
          ms: Date.now() - started,
        });
      };
      const client: ClientRequest = this.send(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          finish({ status: res.statusCode ?? 0, headers: flatten(res.headers), body: Buffer.concat(chunks) });
          if (dedicated) client.destroy();
        });
        res.on('error', (e) => finish({ status: res.statusCode ?? 0, headers: flatten(res.headers), body: Buffer.concat(chunks), error: e.message }));
      });
      const timer = setTimeout(() => {
        finish({ error: `no answer within ${req.timeoutMs ?? DEFAULT_TIMEOUT} ms` });
        client.destroy();
      }, req.timeoutMs ?? DEFAULT_TIMEOUT);
      client.on('continue', () => {
        continued = true;
      });
      // A server that answers early and closes makes writes fail; the answer still counts.
      client.on('error', (e) => finish({ error: e.message }));
      if (req.announceLength !== undefined) {
        client.flushHeaders();
      } else if (req.chunkedBytes !== undefined) {
        void streamChunks(client, req.chunkedBytes, () => done);
      } else {
        client.end(req.body);
      }
    });
  }
}

/** Writes `total` bytes in 64 KiB chunks, honouring back-pressure, until done() says stop. */
async function streamChunks(client: ClientRequest, total: number, stop: () => boolean): Promise<void> {
  let sent = 0;
  let answered = false;
  client.once('response', () => {
    answered = true;
  });
  while (sent < total && !answered && !stop() && !client.destroyed) {
    const piece = CHUNK.subarray(0, Math.min(CHUNK.length, total - sent));
    sent += piece.length;
    if (!client.write(piece)) {
      await new Promise<void>((resolve) => {
        const go = (): void => {
          client.off('drain', go);
          client.off('close', go);
          client.off('response', go);
          resolve();
        };
        client.on('drain', go);
        client.on('close', go);
        client.on('response', go);
      });
    }
  }
  if (!answered && !client.destroyed) client.end();
}
