import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sendCoalesced } from './coalesced-send.js';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { secretMatches } from './cluster-secret.js';
import { silentLogger, type Logger } from '../common/logging.js';
import { DEFAULT_MAX_PAYLOAD } from './shard-connection.js';
import { decodeFrame, encodeFrame, type Frame } from './wire-codec.js';
import { errorToWire } from './wire-errors.js';

/** A response: header fields (besides id/ok) and binary parts. */
export interface Reply {
  header?: Record<string, unknown>;
  parts?: (Buffer | null)[];
}

/** The client connection a request came on; it can also be sent frames it did not ask for. */
export interface Peer {
  readonly id: number;
  /** Sends a frame the peer did not ask for (a lease revocation); false when the connection is gone. */
  push(header: Record<string, unknown>): boolean;
}

/**
 * Handles one request from `peer` (the connection it came on). Called synchronously as the
 * message arrives, so a handler that queues work before its first await sees requests in the
 * order they were sent on the connection.
 */
export type FrameHandler = (frame: Frame, peer: Peer) => Promise<Reply> | Reply;

export type HttpHandler = (request: IncomingMessage, response: ServerResponse, authorized: boolean) => boolean;

export interface FrameServerOptions {
  host: string;
  port: number;
  secret: string;
  handler: FrameHandler;
  /** A connection closed (what it held can be forgotten). */
  onPeerClosed?: (peerId: number) => void;
  /** Plain HTTP requests (health, metrics); return false for a 404. */
  http?: HttpHandler;
  logger?: Logger;
  maxPayload?: number;
}

/**
 * The listening side of the shard protocol: an HTTP server whose /fs upgrade becomes a
 * multiplexed WebSocket once the cluster secret checks out (401 otherwise, before any
 * request is read).
 */
export class FrameServer {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly logger: Logger;
  private readonly sockets = new Set<WebSocket>();
  private nextPeerId = 1;

  constructor(private readonly options: FrameServerOptions) {
    this.logger = options.logger ?? silentLogger;
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD });
    this.server = createServer((request, response) => {
      request.socket.on('error', () => undefined);
      const handled = options.http?.(request, response, secretMatches(request, options.secret)) ?? false;
      if (!handled) {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end('not found\n');
      }
    });
    this.server.on('upgrade', (request, socket, head) => {
      // A peer may reset the connection at any point of the handshake; an unhandled socket
      // error would take the whole shard down.
      socket.on('error', (err) => this.logger.debug({ err: err.message }, 'upgrade socket error'));
      if (!request.url?.startsWith('/fs') || !secretMatches(request, options.secret)) {
        this.logger.warn({ remote: request.socket.remoteAddress, url: request.url }, 'refused a connection without the cluster secret');
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    const peer: Peer = {
      id: this.nextPeerId++,
      push: (header) => {
        if (ws.readyState !== ws.OPEN) return false;
        sendCoalesced(ws, encodeFrame(header));
        return true;
      },
    };
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.options.onPeerClosed?.(peer.id);
    });
    ws.on('error', (err) => this.logger.debug({ err: err.message }, 'client socket error'));
    ws.on('message', (data: Buffer) => this.onMessage(ws, peer, data));
  }

  private onMessage(ws: WebSocket, peer: Peer, data: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch (err) {
      this.logger.warn({ err }, 'undecodable frame');
      return;
    }
    const id = frame.header.id;
    let pending: Promise<Reply> | Reply;
    try {
      pending = this.options.handler(frame, peer);
    } catch (err) {
      pending = Promise.reject(err);
    }
    Promise.resolve(pending).then(
      (reply) => send(ws, { ...reply.header, id, ok: true }, reply.parts ?? []),
      (err: unknown) => send(ws, { ...errorToWire(err), id }, []),
    );
  }
}

function send(ws: WebSocket, header: object, parts: (Buffer | null)[]): void {
  if (ws.readyState !== ws.OPEN) return;
  sendCoalesced(ws, encodeFrame(header, parts));
}
