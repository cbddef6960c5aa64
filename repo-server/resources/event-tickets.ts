import { z } from 'zod';
import type { Halt } from '../../webmachine/index.js';
import { type Access, BEARER_CHALLENGE } from '../auth/authorizer.js';
import { ApiResource, jsonBody } from '../http/api-resource.js';
import { responseSchemas, timestampSchema } from '../http/api-schemas.js';

export const eventTicketSchema = z
  .object({
    ticket: z.string().regex(/^tkt_[A-Za-z0-9_-]{43}$/).describe('Open /events?repo=R&ticket=<ticket> with it: once, within a minute'),
    expiresAt: timestampSchema,
  })
  .register(responseSchemas, { id: 'EventTicket' });

/**
 * POST /events/tickets: a one-time ticket for the /events WebSocket, good for TICKET_SECONDS, so
 * the socket's URL never carries the long-lived token. Any valid token may ask; the socket it
 * opens reads what that token may read, and closes when the token is revoked.
 */
export class EventTicketsResource extends ApiResource {
  protected override requiredAccess(): Access | null {
    return null;
  }

  override allowedMethods(): string[] {
    return ['POST', 'OPTIONS'];
  }

  override serviceAvailable(): boolean {
    return this.api.auth?.tickets !== undefined;
  }

  override async isAuthorized(): Promise<true | string> {
    if (this.request.method === 'OPTIONS') return true;
    this.principal = await this.api.auth!.principal(this.request.header('authorization'));
    return this.principal === null ? BEARER_CHALLENGE : true;
  }

  override cacheControl(): string {
    return 'no-store';
  }

  override async processPost(): Promise<boolean | Halt> {
    const issued = await this.api.auth!.tickets!.issue(this.principal!.tokenId);
    const body: z.output<typeof eventTicketSchema> = issued;
    this.response.setHeader('Content-Type', 'application/json');
    this.response.setHeader('Cache-Control', 'no-store');
    this.response.body = jsonBody(body);
    return true;
  }
}

