/**
 * What each logged event means to a hook: the webhook events it raises and their JSON bodies, and
 * the signature a receiver checks (HMAC-SHA256 of the exact body bytes, as GitHub's
 * X-Hub-Signature-256).
 */
import { createHmac } from 'node:crypto';
import type { RefUpdatedEvent } from '../git/index.js';
import type { WebhookEvent } from './model.js';

/** A repository created or deleted, as the service's log holds it. */
export interface RepositoryLogEvent {
  type: 'repository';
  action: 'created' | 'deleted';
  repo: string;
  actor: string;
  at: string;
  seq: number;
}

export type LogEvent = RefUpdatedEvent | RepositoryLogEvent;

function isRepositoryEvent(e: LogEvent): e is RepositoryLogEvent {
  return (e as RepositoryLogEvent).type === 'repository';
}

/** Every webhook event one log entry raises: a ref update is always a push, and more when it made or removed a ref or merged. */
export function eventsOf(e: LogEvent): WebhookEvent[] {
  if (isRepositoryEvent(e)) return [`repository.${e.action}`];
  const out: WebhookEvent[] = ['push'];
  const kind = e.ref.startsWith('refs/heads/') ? 'branch' : e.ref.startsWith('refs/tags/') ? 'tag' : null;
  if (kind !== null && e.old === null) out.push(`${kind}.created`);
  if (kind !== null && e.new === null) out.push(`${kind}.deleted`);
  if (e.cause === 'merge' && kind === 'branch') out.push('merge');
  return out;
}

/** The JSON body of one delivery. */
export function payloadOf(event: WebhookEvent, e: LogEvent, delivery: string, hook: string): string {
  if (isRepositoryEvent(e)) {
    return JSON.stringify({ event, delivery, hook, repository: { name: e.repo }, actor: e.actor, at: e.at, seq: e.seq });
  }
  const short = e.ref.replace(/^refs\/(heads|tags)\//, '');
  const named = e.ref.startsWith('refs/heads/') ? { branch: short } : e.ref.startsWith('refs/tags/') ? { tag: short } : {};
  return JSON.stringify({
    event,
    delivery,
    hook,
    repository: { name: e.repo },
    ref: e.ref,
    ...named,
    before: e.old,
    after: e.new,
    created: e.old === null,
    deleted: e.new === null,
    actor: e.actor,
    via: e.via,
    at: e.at,
    seq: e.seq ?? 0,
  });
}

/** "sha256=<hex HMAC-SHA256 of the body with the hook's secret>". */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
