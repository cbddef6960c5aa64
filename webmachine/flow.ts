import { decisions, type Step } from './decisions/index.js';
import { type FlowState, HaltSignal } from './flow-state.js';
import { Halt } from './halt.js';
import type { Maybe } from './maybe.js';
import { BodyTooLarge } from './request.js';
import { setValidators } from './validators.js';

export interface FlowOutcome {
  status: number;
  halt?: Halt;
}

/**
 * Walks the graph from B13 until a node answers a status (the graph has no cycles, and node ids
 * are checked by the type of Step). Nodes answer synchronously while callbacks do, and so does the
 * walk: it turns into a promise only at the first node that awaited something (each promise on a
 * warm request's path costs CPU). Halts from callbacks and over-long bodies end the walk with
 * their status; any other error propagates (the engine answers 500).
 */
export function runFlow(f: FlowState): Maybe<FlowOutcome> {
  return walk(f, 'b13');
}

function walk(f: FlowState, from: Step): Maybe<FlowOutcome> {
  let step = from;
  try {
    while (typeof step === 'string') {
      f.trace.push(step);
      const next = decisions[step](f);
      if (next instanceof Promise) return next.then((resolved) => walk(f, resolved), (err: unknown) => stopped(f, err));
      step = next;
    }
    if (step instanceof Halt) return haltOutcome(f, step);
    const status = step;
    if (status !== 304) return { status };
    const validated = setValidators(f, true);
    return validated instanceof Promise ? validated.then(() => ({ status }), (err: unknown) => stopped(f, err)) : { status };
  } catch (err) {
    return stopped(f, err);
  }
}

/** A halt or an over-long body ends the walk with its status; anything else is the engine's 500. */
function stopped(f: FlowState, err: unknown): FlowOutcome {
  if (err instanceof HaltSignal) return haltOutcome(f, err.halt);
  if (err instanceof BodyTooLarge) return haltOutcome(f, err.halt);
  throw err;
}

export function haltOutcome(f: FlowState, halt: Halt): { status: number; halt: Halt } {
  for (const [name, value] of Object.entries(halt.headers)) f.res.setHeader(name, value);
  return { status: halt.status, halt };
}
