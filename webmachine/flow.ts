import { type Decision, decisions, type Step } from './decisions/index.js';
import { FlowState, HaltSignal } from './flow-state.js';
import { Halt } from './halt.js';
import { BodyTooLarge } from './request.js';
import { setValidators } from './validators.js';

/** The diagram has 50-odd nodes and no cycles; a longer walk means a broken decision table. */
const MAX_STEPS = 100;

/**
 * Walks the graph from B13 until a node answers a status. Halts from callbacks and over-long
 * bodies end the walk with their status; any other error propagates (the engine answers 500).
 */
export async function runFlow(f: FlowState): Promise<{ status: number; halt?: Halt }> {
  let step: Step = 'b13';
  try {
    for (let i = 0; typeof step === 'string'; i++) {
      const decide: Decision | undefined = decisions[step];
      if (decide === undefined || i >= MAX_STEPS) throw new Error(`decision flow broken at ${step}`);
      f.trace.push(step);
      step = await decide(f);
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

function haltOutcome(f: FlowState, halt: Halt): { status: number; halt: Halt } {
  for (const [name, value] of Object.entries(halt.headers)) f.res.setHeader(name, value);
  return { status: halt.status, halt };
}
