/**
 * Webhooks: what a hook is, what a delivery is, and where both live. A hook belongs to a scope:
 * a repository (its ref events) or the service (repositories created and deleted), and its
 * records live in that scope's own store, beside the event log they follow:
 *
 *   /webhooks/hooks/<id>.json        a hook (URL, events, secret, active)
 *   /webhooks/cursor                 the last event of the log turned into deliveries
 *   /webhooks/deliveries/<id>.json   a delivery: its payload, state and every attempt
 *   /webhooks/queue/<id>             present while the delivery is pending
 *
 * A repository scope's files go with the repository when it is deleted. The service's store
 * also lists the repositories that have hooks (/webhook-repos/<name>), so a dispatcher knows
 * which logs to follow without opening every repository.
 */
import type { RepoStore, Storage } from '../../fs-service/index.js';

export const REPOSITORY_EVENTS = ['push', 'branch.created', 'branch.deleted', 'tag.created', 'tag.deleted', 'merge'] as const;
export const SERVICE_EVENTS = ['repository.created', 'repository.deleted'] as const;
export const WEBHOOK_EVENTS = [...REPOSITORY_EVENTS, ...SERVICE_EVENTS] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface HookRecord {
  id: string;
  url: string;
  events: WebhookEvent[];
  /** The HMAC key of X-Hub-Signature-256; never answered, never logged. */
  secret: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  /** The log position when the hook was made: it hears of later events only. */
  fromSeq: number;
}

export interface Attempt {
  at: string;
  durationMs: number;
  /** The receiver's status code; null when there was no answer (refused, timed out, unreachable). */
  status: number | null;
  error?: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: string;
  hook: string;
  event: WebhookEvent;
  /** The JSON body, exactly the bytes every attempt sends (the signature is over them). */
  payload: string;
  createdAt: string;
  state: DeliveryState;
  attempts: Attempt[];
  /** When a pending delivery is next tried. */
  nextAttemptAt: string | null;
  /** Attempts before this index do not count against the retry budget (a redelivery starts a new one). */
  budgetFrom: number;
  /** Which front end is sending it, until when: nobody else sends it meanwhile. */
  lease?: { owner: string; until: string };
}

/** A repository's hooks (`repo`), or the service's (null). */
export type Scope = string | null;

export const HOOKS_DIR = '/webhooks/hooks';
export const CURSOR_PATH = '/webhooks/cursor';
export const DELIVERIES_DIR = '/webhooks/deliveries';
export const QUEUE_DIR = '/webhooks/queue';
export const INDEX_DIR = '/webhook-repos';

export const hookPath = (id: string): string => `${HOOKS_DIR}/${id}.json`;
export const deliveryPath = (id: string): string => `${DELIVERIES_DIR}/${id}.json`;
export const queuePath = (id: string): string => `${QUEUE_DIR}/${id}`;
export const indexPath = (repo: string): string => `${INDEX_DIR}/${repo}`;

export const HOOK_ID = /^[0-9a-f]{16}$/;
/** "<log position, 12 digits>-<hook id>-<event>": unique per event and hook, in log order. */
export const DELIVERY_ID = /^\d{12}-[0-9a-f]{16}-[a-z.]{4,20}$/;

export function deliveryId(seq: number, hook: string, event: WebhookEvent): string {
  return `${String(seq).padStart(12, '0')}-${hook}-${event}`;
}

export function hookOfDelivery(id: string): string {
  return id.slice(13, 29);
}

/** Where a scope's hooks live: the repository's store, or the service's. */
export interface Stores {
  storage: Storage;
  /** The service's own store (the one tokens live in). */
  system: RepoStore;
}

export function storeOf(stores: Stores, scope: Scope): RepoStore {
  return scope === null ? stores.system : stores.storage.repo(scope);
}

export async function listNames(store: RepoStore, dir: string): Promise<string[]> {
  try {
    return await store.fs.promises.readdir(dir);
  } catch {
    return [];
  }
}

export function parse<T>(bytes: Buffer | null | undefined): T | null {
  if (bytes === null || bytes === undefined) return null;
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return null;
  }
}

export function bytesOf(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}
