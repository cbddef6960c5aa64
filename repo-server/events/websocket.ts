import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isRequestId, outsideRequest, runWithRequestId } from '../../fs-service/index.js';
import { problem } from '../../webmachine/index.js';
import type { RepoService } from '../domain/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { EventFeed } from './event-feed.js';

export interface EventSocketOptions {
  /** Counts open event sockets (gauge websockets_active). */
  metrics?: Metrics;
  feed: EventFeed;
  service: RepoService;
  logger: Logger;
  /** Decides whether the request may read the repository (authentication hooks in here). */
  mayRead?: (req: IncomingMessage, repo: string) => Promise<boolean>;
  heartbeatMs?: number;
  /** A client that lets more than this many bytes queue up is cut off (close 1013). */
  maxBufferedBytes?: number;
  /**
   * How often every open socket's right to read is checked again (mayRead), so a revoked token
   * or a withdrawn grant ends its subscriptions on every front end, not only the one that revoked.
   */
  recheckMs?: number;
  /** The `type` of a refusal's problem body, by status (the front end's problem catalogue). */
  problemType?: (status: number) => string;
}

/** Close codes clients can act on. */
export const CLOSE_SLOW_CONSUMER = 1013;
export const CLOSE_GOING_AWAY = 1001;
/** Policy violation: the credentials the socket was opened with no longer allow reading. */
export const CLOSE_ACCESS_ENDED = 1008;
const SLOW_CONSUMER_GRACE_MS = 30_000;

/**
 * Once everything queued for a cut-off client (the close frame last) has been handed to the
 * kernel, the connection is dropped without waiting for the client's close reply; the kernel
 * still delivers what it holds. A client that never reads again is dropped after the grace period.
 */
function dropWhenFlushed(ws: WebSocket): void {
  const started = Date.now();
  const timer = setInterval(() => {
    if (ws.bufferedAmount === 0 || Date.now() - started > SLOW_CONSUMER_GRACE_MS) {
      clearInterval(timer);
      ws.terminate();
    }
  }, 100);
  timer.unref();
}

function refuse(socket: Duplex, status: number, detail: string, typeOf?: (status: number) => string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(problem(status, { detail, ...(typeOf === undefined ? {} : { type: typeOf(status) }) }));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Content-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * GET /events?repo=R[&since=N] upgraded to a WebSocket: every ref update of R, from any front
 * end, in log order, after it is durable; `since` replays what a reconnecting client missed
 * (bounded backlog). Heartbeats find dead peers; a slow reader is cut off instead of growing memory.
 */
export function attachEventSocket(server: Server, opts: EventSocketOptions): { close(): Promise<void>; clients(): number } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  const recheckMs = opts.recheckMs ?? 500;
  const alive = new WeakMap<WebSocket, boolean>();
  /** What each open socket was allowed on: its upgrade request (credentials) and repository. */
  const grantedBy = new Map<WebSocket, { req: IncomingMessage; repo: string }>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node hands the socket over with no 'error' listener: a client that resets the connection
    // while we decide (or while the refusal is written) would otherwise end the process.
    socket.on('error', (err: NodeJS.ErrnoException) => opts.logger.debug({ code: err.code }, 'event socket client went away'));
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/events') return refuse(socket, 404, 'Only /events accepts WebSocket upgrades.', opts.problemType);
    const repo = url.searchParams.get('repo') ?? '';
    const sinceText = url.searchParams.get('since');
    if (sinceText !== null && !/^\d{1,15}$/.test(sinceText)) return refuse(socket, 400, 'since must be a whole number.', opts.problemType);
    // The upgrade is a request like any other: its checks (and their log lines and shard reads)
    // carry its id. The subscription outlives it and serves others' events: it runs outside.
    const given = req.headers['x-request-id'];
    const requestId = isRequestId(given) ? given : randomUUID();
    runWithRequestId(requestId, () => {
      void (async () => {
        const found = await opts.service.getRepository(repo);
        const allowed = found.ok && (opts.mayRead === undefined || (await opts.mayRead(req, repo)));
        // A repository the client may not read looks exactly like one that does not exist.
        if (!allowed) return refuse(socket, found.ok || found.reason === 'not-found' ? 404 : 400, `No repository named ${JSON.stringify(repo)}.`, opts.problemType);
        opts.logger.info({ repo, ...(sinceText === null ? {} : { since: Number(sinceText) }) }, 'event socket opened');
        if (socket.destroyed) return;
        outsideRequest(() =>
          wss.handleUpgrade(req, socket, head, (ws) => {
            grantedBy.set(ws, { req, repo });
            ws.once('close', () => grantedBy.delete(ws));
            void serve(ws, repo, sinceText === null ? undefined : Number(sinceText));
          }),
        );
      })().catch((err: unknown) => {
        opts.logger.error({ err }, 'event socket upgrade failed');
        refuse(socket, 500, 'internal error', opts.problemType);
      });
    });
  });

  async function serve(ws: WebSocket, repo: string, since: number | undefined): Promise<void> {
    alive.set(ws, true);
    opts.metrics?.websockets.inc();
    ws.once('close', () => opts.metrics?.websockets.dec());
    ws.on('pong', () => alive.set(ws, true));
    let cut = false;
    const subscription = await opts.feed.listen(
      repo,
      (event) => {
        if (cut || ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > maxBuffered) {
          // Nothing more is queued for it; the close frame follows what is already queued, so a
          // client that reads again learns why (1013) and where to resume. One that never reads
          // again is dropped after a grace period.
          cut = true;
          ws.close(CLOSE_SLOW_CONSUMER, 'slow consumer: reconnect with since');
          dropWhenFlushed(ws);
          return;
        }
        ws.send(JSON.stringify({ type: 'ref-updated', ...event }));
      },
      since,
    );
    if (cut) subscription.stop();
    ws.send(JSON.stringify({ type: 'subscribed', repo, position: subscription.position }));
    ws.on('close', () => subscription.stop());
    ws.on('error', () => subscription.stop());
    // Clients only listen; anything they send is ignored.
  }

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();

  // Sockets that share credentials and a repository are checked once per round.
  let rechecking = false;
  const recheck = setInterval(() => {
    if (rechecking || grantedBy.size === 0 || opts.mayRead === undefined) return;
    rechecking = true;
    const mayRead = opts.mayRead;
    const verdicts = new Map<string, Promise<boolean>>();
    const checks = [...grantedBy].map(async ([ws, { req, repo }]) => {
      const key = `${req.headers.authorization ?? ''}\0${req.url ?? ''}\0${repo}`;
      let verdict = verdicts.get(key);
      if (verdict === undefined) {
        verdict = mayRead(req, repo).catch(() => true);
        verdicts.set(key, verdict);
      }
      if (!(await verdict) && ws.readyState === ws.OPEN) {
        opts.logger.info({ repo }, 'event socket closed: access ended');
        ws.close(CLOSE_ACCESS_ENDED, 'access ended: token revoked or read permission withdrawn');
        dropWhenFlushed(ws);
      }
    });
    void Promise.all(checks).finally(() => (rechecking = false));
  }, recheckMs);
  recheck.unref();

  return {
    clients: () => wss.clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        clearInterval(recheck);
        for (const ws of wss.clients) ws.close(CLOSE_GOING_AWAY, 'server shutting down');
        wss.close(() => resolve());
      }),
  };
}
