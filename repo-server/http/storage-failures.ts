import { unavailability } from '../../fs-service/index.js';
import type { Halt } from '../../webmachine/index.js';
import { type DomainFailure, failureHalt } from './domain-failures.js';

/**
 * A storage refusal that will pass (a read-only vbucket, a failover under way, no copy reachable)
 * as the domain failure `unavailable`: 503, Retry-After, and a problem body naming the cause.
 * Null for every other error, which stays a 500.
 */
export function storageFailure(err: unknown): DomainFailure | null {
  const refusal = unavailability(err);
  if (refusal === null) return null;
  return { ok: false, reason: 'unavailable', cause: refusal.reason, detail: `${refusal.message.replace(/^EIO: /, '')}; retry in ${refusal.retryAfterSeconds} s`, retryAfter: refusal.retryAfterSeconds };
}

/** The engine's `knownFailure`: what a resource threw, when storage refused for now. */
export function storageFailureHalt(err: unknown): Halt | undefined {
  const failure = storageFailure(err);
  return failure === null ? undefined : failureHalt(failure);
}
