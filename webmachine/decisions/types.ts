import type { Halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';
import type { Maybe } from '../maybe.js';

/** Every node of the flow: the v3 diagram's ids plus the sub-nodes b9a, b9b, g7a, m20b, o18b. */
export type NodeId =
  | 'b13' | 'b12' | 'b11' | 'b10' | 'b9' | 'b9a' | 'b9b' | 'b8' | 'b7' | 'b6' | 'b5' | 'b4' | 'b3'
  | 'c3' | 'c4' | 'd4' | 'd5' | 'e5' | 'e6' | 'f6' | 'f7'
  | 'g7' | 'g7a' | 'g8' | 'g9' | 'g11' | 'h10' | 'h11' | 'h12' | 'i12' | 'i13' | 'k13' | 'j18'
  | 'l13' | 'l14' | 'l15' | 'l17'
  | 'h7' | 'i7' | 'i4' | 'p3' | 'k7' | 'k5' | 'l5' | 'm5' | 'n5' | 'l7' | 'm7'
  | 'm16' | 'm20' | 'm20b' | 'n16' | 'n11' | 'o16' | 'o14' | 'o18' | 'o18b' | 'o20' | 'p11';

/** A node answers the next node's id, or ends the flow with a status (or a Halt with a body). */
export type Step = NodeId | number | Halt;

/**
 * One node of the diagram. Nodes whose callbacks answered plain values answer synchronously;
 * `then` (../maybe.ts) continues after a callback that answered a promise.
 */
export type Decision = (f: FlowState) => Maybe<Step>;
