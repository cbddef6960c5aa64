import type { SwapOp } from '../contract.js';

/** What a client asks a repository to change. */
export type Mutation =
  | { op: 'writeFile'; path: string; data: Buffer; mode?: number }
  | { op: 'mkdir'; path: string; recursive: boolean }
  | { op: 'rmdir'; path: string }
  | { op: 'unlink'; path: string }
  | { op: 'rm'; path: string; recursive: boolean; force: boolean }
  | { op: 'symlink'; path: string; target: string }
  | { op: 'cas'; ops: SwapOp[] }
  | { op: 'createExclusive'; path: string; data: Buffer }
  | { op: 'part'; path: string; offset: number; data: Buffer }
  | { op: 'rename'; from: string; to: string }
  | { op: 'destroy' };

/**
 * What a mutation did, in a form a replica can apply blindly and idempotently: the primary has
 * already checked preconditions (CAS, EEXIST, ENOTEMPTY), so a replica only reproduces state.
 */
export type Effect =
  | { kind: 'put'; path: string; data: Buffer; mode?: number }
  | { kind: 'unlink'; path: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'rmdir'; path: string }
  | { kind: 'rm'; path: string }
  | { kind: 'symlink'; path: string; target: string }
  /** A positioned write (never truncating): applying it twice leaves the same bytes. */
  | { kind: 'part'; path: string; offset: number; data: Buffer }
  /** Publishes a file assembled by parts; replayed when `from` is gone and `to` is there, it is done. */
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'destroy' };

/** File bytes an effect carries (what replicating it moves). */
export function effectBytes(effects: readonly Effect[]): number {
  let bytes = 0;
  for (const effect of effects) if (effect.kind === 'put' || effect.kind === 'part') bytes += effect.data.length;
  return bytes;
}

/** The repository paths an effect changes (none named for destroy: it changes them all). */
export function effectPaths(effect: Effect): string[] {
  if (effect.kind === 'destroy') return [];
  if (effect.kind === 'rename') return [effect.from, effect.to];
  return [effect.path];
}
