import { FsError, StorageUnavailable, type UnavailableReason } from '../contract.js';
import type { ClusterMap } from '../control/vbucket-map.js';

/**
 * Why a shard refused a request before executing it. A refusal changed nothing, so the client
 * may always retry it, whatever the operation.
 *   epoch-old   the client's map is older: the shard's map is attached
 *   epoch-new   the shard's map is older: the client should hand it its map
 *   not-owner   the shard does not hold the vbucket (or is not its primary, for writes)
 *   frozen      a new primary is being chosen: retry shortly
 *   not-ready   this copy is catching up or restarted: try another copy or retry shortly
 *   no-map      the shard has not been given a map yet
 *   fenced      the shard's etcd lease is not confirmed (partitioned, paused, etcd unreachable): it acts on nothing
 *   stale-term  (replication) the sender is not the primary of the current term
 *   out-of-sync (replication) the replica missed an update and will catch up
 */
export type RefusalReason = 'epoch-old' | 'epoch-new' | 'not-owner' | 'frozen' | 'not-ready' | 'no-map' | 'fenced' | 'stale-term' | 'out-of-sync';

export class Refusal extends FsError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly map?: ClusterMap,
  ) {
    super('ESTALE', `${reason}: ${message}`);
    this.name = 'Refusal';
  }
}

/** Raised by the primary when fewer than a majority of copies can take a write. */
export class QuorumError extends FsError {
  /**
   * `applied`: the primary had written it before a majority failed to take it (its outcome is
   * unknown); otherwise refused up front, nothing written.
   */
  constructor(
    message: string,
    readonly applied = false,
  ) {
    super('EIO', `read-only: ${message}`);
    this.name = 'QuorumError';
  }
}

export interface WireError {
  ok: false;
  code: FsError['code'];
  message: string;
  path?: string;
  reason?: RefusalReason;
  quorum?: true;
  /** With quorum: the primary had applied the write. */
  applied?: true;
  /** A StorageUnavailable: why, and when a retry has a chance. */
  unavailable?: { reason: UnavailableReason; retryAfterSeconds: number };
  map?: ClusterMap;
}

/** The message without the "CODE: " prefix and " 'path'" suffix FsError adds. */
function bareMessage(err: FsError): string {
  let message = err.message;
  if (message.startsWith(`${err.code}: `)) message = message.slice(err.code.length + 2);
  const suffix = err.path === undefined ? '' : ` '${err.path}'`;
  if (suffix !== '' && message.endsWith(suffix)) message = message.slice(0, -suffix.length);
  return message;
}

export function errorToWire(err: unknown): WireError {
  if (err instanceof Refusal) {
    return { ok: false, code: 'ESTALE', message: bareMessage(err).replace(`${err.reason}: `, ''), reason: err.reason, ...(err.map === undefined ? {} : { map: err.map }) };
  }
  if (err instanceof StorageUnavailable) {
    return { ok: false, code: err.code, message: bareMessage(err).replace(`${err.reason}: `, ''), unavailable: { reason: err.reason, retryAfterSeconds: err.retryAfterSeconds } };
  }
  if (err instanceof FsError) {
    return { ok: false, code: err.code, message: bareMessage(err), ...(err.path === undefined ? {} : { path: err.path }), ...(err instanceof QuorumError ? { quorum: true as const, ...(err.applied ? { applied: true as const } : {}) } : {}) };
  }
  return { ok: false, code: 'EIO', message: err instanceof Error ? err.message : String(err) };
}

export function errorFromWire(header: Record<string, unknown>): FsError {
  const code = (typeof header.code === 'string' ? header.code : 'EIO') as FsError['code'];
  const message = typeof header.message === 'string' ? header.message : 'shard error';
  if (typeof header.reason === 'string') return new Refusal(header.reason as RefusalReason, message, header.map as ClusterMap | undefined);
  if (header.quorum === true) return new QuorumError(message.replace(/^read-only: /, ''), header.applied === true);
  const unavailable = header.unavailable as WireError['unavailable'];
  if (typeof unavailable?.reason === 'string' && typeof unavailable.retryAfterSeconds === 'number') return new StorageUnavailable(unavailable.reason, message, unavailable.retryAfterSeconds);
  return new FsError(code, message, typeof header.path === 'string' ? header.path : undefined);
}
