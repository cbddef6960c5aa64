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
  | { kind: 'destroy' };

export function effectBytes(effects: readonly Effect[]): number {
  let bytes = 0;
  for (const effect of effects) if (effect.kind === 'put') bytes += effect.data.length;
  return bytes;
}
