import WebSocket from 'ws';

export interface EventMessage {
  type: string;
  repo?: string;
  seq?: number;
  ref?: string;
  old?: string | null;
  new?: string | null;
  position?: number;
  [key: string]: unknown;
}

export type SocketOutcome = { opened: true; socket: EventSocket } | { opened: false; status: number; body: string };

/** A subscriber of /events: every message kept in order, with a way to wait for more. */
export class EventSocket {
  readonly messages: EventMessage[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;
  closeReason: string | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as EventMessage);
      this.wake();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString('utf8');
      this.wake();
    });
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }

  /** Resolves once `count` messages of type ref-updated arrived (or fails after timeoutMs). */
  refUpdates(count: number, timeoutMs = 10_000): Promise<EventMessage[]> {
    return this.refUpdatesUntil((updates) => updates.length >= count, `${count} updates`, timeoutMs);
  }

  /** Resolves with the ref-updated messages once `done` holds for them. */
  async refUpdatesUntil(done: (updates: EventMessage[]) => boolean, what: string, timeoutMs = 10_000): Promise<EventMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const updates = this.messages.filter((m) => m.type === 'ref-updated');
      if (done(updates)) return updates;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) before ${what}; got ${updates.length} updates`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; got ${updates.length} updates`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the close code once the server closed the socket (or fails after timeoutMs). */
  async closed(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closeCode;
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

/** Opens /events?repo=...; a refused upgrade answers its HTTP status and body instead. */
export function openEvents(base: string, query: Record<string, string>, headers: Record<string, string> = {}): Promise<SocketOutcome> {
  const url = `${base.replace(/^http/, 'ws')}/events?${new URLSearchParams(query).toString()}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const socket = new EventSocket(ws);
    ws.once('open', () => {
      // The first message says where the subscription starts; wait for it so no event races it.
      const ready = () => (socket.messages.length > 0 || socket.closeCode !== undefined ? resolve({ opened: true, socket }) : setTimeout(ready, 5));
      ready();
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ opened: false, status: res.statusCode ?? 0, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

/** A one-time ticket for the /events WebSocket, asked for with the token (POST /events/tickets). */
export async function eventTicket(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}/events/tickets`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`POST /events/tickets: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { ticket: string }).ticket;
}
