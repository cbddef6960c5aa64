/**
 * Short-lived, single-use tickets for the /events WebSocket. A browser cannot set headers on a
 * WebSocket request, so its credential would have to travel in the URL, where proxies and access
 * logs keep it. Instead it asks for a ticket with its token (POST /events/tickets) and opens the
 * socket with ?ticket=: the ticket works once, within a minute, on any front end (it lives in the
 * system store, by its hash only), and the socket then acts for the token that asked for it, so a
 * revoked token still ends its subscriptions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RepoStore, Storage } from '../../fs-service/index.js';
import { SYSTEM_STORE } from './token-store.js';

export const TICKET_SECONDS = 60;
const TICKET = /^tkt_[A-Za-z0-9_-]{43}$/;
const DIR = '/event-tickets';

interface TicketRecord {
  tokenId: string;
  expiresAt: string;
}

const pathOf = (ticket: string): string => `${DIR}/${createHash('sha256').update(ticket).digest('hex')}.json`;

export class EventTickets {
  private readonly store: RepoStore;
  private lastSweep = 0;

  constructor(
    storage: Storage,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.store = storage.repo(SYSTEM_STORE);
  }

  /** A new ticket for the token `tokenId`, good once, for TICKET_SECONDS. */
  async issue(tokenId: string): Promise<{ ticket: string; expiresAt: string }> {
    const ticket = `tkt_${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(this.now().getTime() + TICKET_SECONDS * 1000).toISOString();
    const record: TicketRecord = { tokenId, expiresAt };
    if (!(await this.store.createExclusive(pathOf(ticket), JSON.stringify(record)))) throw new Error('ticket collision');
    void this.sweep();
    return { ticket, expiresAt };
  }

  /** The token id a ticket was issued for, if it is unused and unexpired; it is used up either way. */
  async redeem(ticket: string): Promise<string | null> {
    if (!TICKET.test(ticket)) return null;
    const path = pathOf(ticket);
    const [bytes] = await this.store.readMany([path]);
    if (bytes === null || bytes === undefined) return null;
    // Whoever removes it first has used it: a copied ticket opens nothing after the first socket.
    if (!(await this.store.compareAndSwap([{ path, expected: bytes, next: null }]))) return null;
    const record = JSON.parse(bytes.toString('utf8')) as TicketRecord;
    return Date.parse(record.expiresAt) > this.now().getTime() ? record.tokenId : null;
  }

  /** Tickets nobody used are removed after they expire (at most once a minute per front end). */
  private async sweep(): Promise<void> {
    const now = this.now().getTime();
    if (now - this.lastSweep < TICKET_SECONDS * 1000) return;
    this.lastSweep = now;
    try {
      const names = await this.store.fs.promises.readdir(DIR);
      const paths = names.map((n) => `${DIR}/${n}`);
      const records = await this.store.readMany(paths);
      for (const [i, bytes] of records.entries()) {
        if (bytes === null || bytes === undefined) continue;
        const record = JSON.parse(bytes.toString('utf8')) as TicketRecord;
        if (Date.parse(record.expiresAt) <= now) await this.store.compareAndSwap([{ path: paths[i]!, expected: bytes, next: null }]);
      }
    } catch {
      // Nothing to sweep yet, or storage busy: the next issue tries again.
    }
  }
}
