import WebSocket from 'ws';
import { sendCoalesced } from './coalesced-send.js';
import { FsError } from '../contract.js';
import { authorizationHeader } from './cluster-secret.js';
import { silentLogger, type Logger } from '../common/logging.js';
import { currentRequestId } from '../common/request-context.js';
import { decodeFrame, encodeFrame, type Frame } from './wire-codec.js';
import { errorFromWire } from './wire-errors.js';

/**
 * The request never reached the shard (`sent` false: safe to retry anything) or its fate is
 * unknown (`sent` true: only idempotent requests may be retried).
 */
export class TransportError extends FsError {
  constructor(
    message: string,
    readonly sent: boolean,
    code: 'EIO' | 'ETIMEDOUT' = 'EIO',
  ) {
    super(code, message);
    this.name = 'TransportError';
  }
}

export interface ConnectionOptions {
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxPayload?: number;
  logger?: Logger;
}

interface Pending {
  resolve: (frame: Frame) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  sent: boolean;
}

export const DEFAULT_MAX_PAYLOAD = 512 * 1024 * 1024;

/**
 * One multiplexed WebSocket to one shard: requests carry ids, responses may come back in any
 * order, so a slow pack read never holds up a ref read. Requests queued before the socket opens
 * are sent in order, which replication relies on.
 */
export class ShardConnection {
  private socket: WebSocket | null = null;
  private open = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queued: { id: number; data: Buffer }[] = [];
  private readonly connectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxPayload: number;
  private readonly logger: Logger;
  private closed = false;
  private readonly disconnectListeners: (() => void)[] = [];
  private readonly pushListeners: ((frame: Frame) => void)[] = [];

  constructor(
    readonly url: string,
    private readonly secret: string,
    options: ConnectionOptions = {},
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Sends one request; resolves with the response frame, rejects with its error. Sent on behalf
   * of a request (runWithRequestId), it carries that request's id as `rid`.
   */
  request(header: Record<string, unknown>, parts: readonly (Buffer | null)[] = [], timeoutMs = this.requestTimeoutMs): Promise<Frame> {
    if (this.closed) return Promise.reject(new TransportError(`connection to ${this.url} is closed`, false));
    const id = this.nextId++;
    const rid = currentRequestId();
    const data = encodeFrame(rid === undefined || header.rid !== undefined ? { ...header, id } : { ...header, id, rid }, parts);
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        const entry = this.pending.get(id);
        if (entry === undefined) return;
        this.pending.delete(id);
        const index = this.queued.findIndex((q) => q.id === id);
        if (index >= 0) this.queued.splice(index, 1);
        reject(new TransportError(`no answer from shard ${this.url} within ${timeoutMs} ms`, entry.sent, 'ETIMEDOUT'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, sent: false });
      if (this.open && this.socket !== null) this.transmit(id, data);
      else {
        this.queued.push({ id, data });
        this.connect();
      }
    });
  }

  /** Called when an open connection is lost (the peer died or the network dropped it). */
  onDisconnect(listener: () => void): void {
    this.disconnectListeners.push(listener);
  }

  /** Frames the shard sends unasked (a lease revocation), handled as they arrive. */
  onPush(listener: (frame: Frame) => void): void {
    this.pushListeners.push(listener);
  }

  get isOpen(): boolean {
    return this.open;
  }

  close(): void {
    this.closed = true;
    this.socket?.terminate();
    this.failAll(new TransportError(`connection to ${this.url} closed`, false), new TransportError(`connection to ${this.url} closed`, true));
  }

  private transmit(id: number, data: Buffer): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    entry.sent = true;
    sendCoalesced(this.socket!, data);
  }

  private connect(): void {
    if (this.socket !== null || this.closed) return;
    const socket = new WebSocket(`ws://${this.url}/fs`, {
      headers: { authorization: authorizationHeader(this.secret) },
      perMessageDeflate: false,
      maxPayload: this.maxPayload,
      handshakeTimeout: this.connectTimeoutMs,
    });
    this.socket = socket;
    socket.on('open', () => {
      this.open = true;
      for (const { id, data } of this.queued.splice(0)) this.transmit(id, data);
    });
    socket.on('message', (data: Buffer) => this.receive(data));
    socket.on('unexpected-response', (request, response) => {
      // The shard answered the upgrade with an HTTP error: 401 means our secret is wrong, which
      // retrying cannot fix, so it is an authoritative EACCES rather than a transport failure.
      const status = response.statusCode ?? 0;
      const err = status === 401 ? new FsError('EACCES', `cluster secret rejected by shard ${this.url}`) : new TransportError(`shard ${this.url} refused the connection with HTTP ${status}`, false);
      this.failAll(err, err);
      response.destroy();
      request.destroy();
      if (this.socket === socket) {
        this.socket = null;
        this.open = false;
      }
    });
    socket.on('error', (err: Error) => {
      // Always followed by 'close', which fails what is pending.
      this.logger.debug({ shard: this.url, err: err.message }, 'shard connection error');
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      const wasOpen = this.open;
      this.socket = null;
      this.open = false;
      if (wasOpen && !this.closed) for (const listener of this.disconnectListeners) listener();
      this.failAll(new TransportError(`cannot reach shard ${this.url}`, false), new TransportError(`connection to shard ${this.url} lost`, true));
    });
  }

  private receive(data: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(data);
    } catch (err) {
      this.logger.warn({ shard: this.url, err }, 'undecodable frame from shard');
      return;
    }
    if (typeof frame.header.push === 'string') {
      for (const listener of this.pushListeners) listener(frame);
      return;
    }
    const id = frame.header.id;
    if (typeof id !== 'number') return;
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (frame.header.ok === true) entry.resolve(frame);
    else entry.reject(errorFromWire(frame.header));
  }

  private failAll(unsent: Error, sent: Error): void {
    this.queued.length = 0;
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      entry.reject(entry.sent ? sent : unsent);
    }
  }
}
