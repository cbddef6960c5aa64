/**
 * A real HTTP server on loopback that receives webhooks: it records every request (headers and
 * the exact body bytes) and answers as told per path: a status, a list of statuses to give in
 * turn, or no answer at all (a receiver that hangs).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  json: Record<string, unknown>;
}

export type Behaviour = number | number[] | 'hang';

export class Receiver {
  readonly received: Received[] = [];
  private readonly behaviour = new Map<string, Behaviour>();
  private readonly hanging = new Set<IncomingMessage>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    let self: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.answer(req, Buffer.concat(chunks).toString('utf8'), (status) => res.writeHead(status).end()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    self = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** How `path` answers from now on. */
  on(path: string, behaviour: Behaviour): string {
    this.behaviour.set(path, behaviour);
    return `${this.url}${path}`;
  }

  private answer(req: IncomingMessage, body: string, reply: (status: number) => void): void {
    const path = req.url ?? '/';
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // Recorded as it came.
    }
    this.received.push({ path, headers: req.headers, body, json });
    const b = this.behaviour.get(path) ?? 200;
    if (b === 'hang') {
      this.hanging.add(req);
      return;
    }
    if (Array.isArray(b)) reply(b.length > 1 ? b.shift()! : (b[0] ?? 200));
    else reply(b);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Waits until `check` holds for what was received (bounded). */
  async until(check: (received: Received[]) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.received)) {
      if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms; got ${this.received.map((r) => `${r.path} ${String(r.json.event)}`).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): Promise<void> {
    for (const req of this.hanging) req.socket.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What a receiver does with the X-Hub-Signature-256 header: recompute it with its secret and compare in constant time. */
export function signatureValid(secret: string, body: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
