import type { ProblemInit } from './problem.js';

/**
 * A callback's way to end the flow with a status of its choosing (429, 422, 451, or a 409 with a
 * body listing conflicts...). Returned as a value, like webmachine's {halt, Code}.
 */
export class Halt {
  constructor(
    readonly status: number,
    readonly problem?: ProblemInit,
    readonly headers: Record<string, string> = {},
  ) {}
}

export function halt(status: number, problem?: ProblemInit, headers?: Record<string, string>): Halt {
  return new Halt(status, problem, headers);
}

export type Awaitable<T> = T | Promise<T>;
/** What every callback may answer: its value, or a Halt. */
export type Outcome<T> = Awaitable<T | Halt>;
