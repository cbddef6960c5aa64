import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretMatches } from '../wire/cluster-secret.js';
import { NotLeaderError, type Supervisor } from './supervisor.js';

/**
 * A supervisor's admin API (JSON over HTTP, cluster secret as a bearer token); every supervisor
 * serves it, only the leader runs commands:
 *   GET  /healthz               liveness and whether this one leads (no secret)
 *   GET  /map                   the current cluster map
 *   GET  /status                shards (registry and their own status), the leader
 *   POST /move  {vb,from,to}    rebalance one copy of a vbucket (409 with `leader` on a standby)
 */
export async function startAdminServer(supervisor: () => Supervisor | null, options: { host: string; port: number; secret: string }): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    void handle(supervisor(), options.secret, request, response).catch((err: unknown) => reply(response, 500, { error: err instanceof Error ? err.message : String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

async function handle(supervisor: Supervisor | null, secret: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const route = `${request.method} ${request.url}`;
  if (supervisor === null) return reply(response, 503, { error: 'starting' });
  if (route === 'GET /healthz') return reply(response, 200, { epoch: supervisor.map?.epoch ?? 0, leading: supervisor.leading });
  if (!secretMatches(request, secret)) return reply(response, 401, { error: 'cluster secret required' });
  switch (route) {
    case 'GET /map':
      return reply(response, 200, supervisor.map);
    case 'GET /status':
      return reply(response, 200, await supervisor.describe());
    case 'POST /move': {
      const { vb, from, to } = await body(request);
      if (typeof vb !== 'number' || typeof from !== 'string' || typeof to !== 'string') return reply(response, 400, { error: 'expected {vb: number, from: string, to: string}' });
      try {
        const map = await supervisor.moveVbucket(vb, from, to);
        return reply(response, 200, { epoch: map.epoch, vbucket: map.vbuckets[vb] });
      } catch (err) {
        return reply(response, 409, { error: err instanceof Error ? err.message : String(err), ...(err instanceof NotLeaderError ? { leader: err.leader } : {}) });
      }
    }
    default:
      return reply(response, 404, { error: `no route ${route}` });
  }
}
