import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A deliberately broken reverse proxy, the kind an operator might put in front of the service by
 * mistake: it forwards everything faithfully except that it strips If-Match from requests (so the
 * origin never sees the precondition: a lost-update guard silently disabled) and drops Vary from
 * responses (so caches would mix representations). The conformance run must notice both.
 */
export interface BrokenProxy {
  url: string;
  close(): Promise<void>;
}

function without(headers: IncomingHttpHeaders, name: string): IncomingHttpHeaders {
  const out = { ...headers };
  delete out[name];
  return out;
}

export async function startBrokenProxy(upstream: string): Promise<BrokenProxy> {
  const target = new URL(upstream);
  const forward = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean): void => {
    const upstreamReq = request(
      { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...without(req.headers, 'if-match'), host: target.host } },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, without(upstreamRes.headers, 'vary'));
        upstreamRes.pipe(res);
      },
    );
    // Faithful about 100-continue: the client hears it only when the origin sends it.
    if (expectsContinue) upstreamReq.on('continue', () => res.writeContinue());
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstreamReq);
  };
  const server: Server = createServer((req, res) => forward(req, res, false));
  server.on('checkContinue', (req, res) => forward(req, res, true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
