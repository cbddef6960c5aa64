import type { Halt } from '../halt.js';
import type { FlowState } from '../flow-state.js';

/** A node answers the next node's id, or ends the flow with a status (or a Halt with a body). */
export type Step = string | number | Halt;
export type Decision = (f: FlowState) => Promise<Step>;
