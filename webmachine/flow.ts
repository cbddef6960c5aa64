import { decisions, type Step } from './decisions/index.js';
import { type FlowState, HaltSignal } from './flow-state.js';
import { Halt } from './halt.js';
import { BodyTooLarge } from './request.js';
import { setValidators } from './validators.js';

export interface FlowOutcome {
  status: number;
  halt?: Halt;
}

/**
 * Walks the graph from B13 until a node answers a status (the graph has no cycles, and node ids
 * are checked by the type of Step). Nodes answer synchronously while callbacks do; the walk only
 * awaits a node that awaited something. Halts from callbacks and over-long bodies end the walk with
 * their status; any other error propagates (the engine answers 500).
 */
export async function runFlow(f: FlowState): Promise<FlowOutcome> {
  let step: Step = 'b13';
  try {
    while (typeof step === 'string') {
      f.trace.push(step);
      const next = decisions[step](f);
      step = next instanceof Promise ? await next : next;
    }
    if (step instanceof Halt) return haltOutcome(f, step);
    if (step === 304) await setValidators(f, true);
    return { status: step };
  } catch (err) {
    if (err instanceof HaltSignal) return haltOutcome(f, err.halt);
    if (err instanceof BodyTooLarge) return haltOutcome(f, err.halt);
    throw err;
  }
}

export function haltOutcome(f: FlowState, halt: Halt): { status: number; halt: Halt } {
  for (const [name, value] of Object.entries(halt.headers)) f.res.setHeader(name, value);
  return { status: halt.status, halt };
}
