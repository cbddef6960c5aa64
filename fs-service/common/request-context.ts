import { AsyncLocalStorage } from 'node:async_hooks';

/** The request an fs operation works for: the front end's request id (nginx's $request_id). */
export interface RequestContext {
  readonly requestId: string;
}

const context = new AsyncLocalStorage<RequestContext>();

/**
 * What a request id may look like wherever one arrives from outside (an X-Request-Id header, the
 * `rid` field of a shard request): short, and nothing that could break a log line or a header.
 */
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID.test(value);
}

/**
 * Runs `fn` as part of request `requestId`: every shard request sent from it, synchronously or
 * after any number of awaits, carries the id, and shards log it.
 */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return context.run({ requestId }, fn);
}

/** The id of the request the caller works for, if any. */
export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}

/** Runs `fn` outside any request, so background work it starts is not attributed to one. */
export function outsideRequest<T>(fn: () => T): T {
  return context.exit(fn);
}
