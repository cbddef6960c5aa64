/**
 * A value now, or later. Most callbacks answer plain values, so the flow stays synchronous until
 * one answers a promise: every `await` on the hot path costs a microtask and an allocation.
 */
export type Maybe<T> = T | Promise<T>;

/**
 * `fn(value)`, after the value arrived if it is still pending. (Not named `then`: a module that
 * exports `then` is a thenable, and `import()` of it would call it.)
 */
export function andThen<T, U>(value: Maybe<T>, fn: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** All the values, synchronously when none is pending. */
export function all<T extends unknown[]>(...values: { [K in keyof T]: Maybe<T[K]> }): Maybe<T> {
  for (const value of values) if (value instanceof Promise) return Promise.all(values) as Promise<T>;
  return values as T;
}

/**
 * `work()`, with any failure (thrown now or rejected later) handed to `recover`: the Maybe
 * counterpart of try/catch around an await.
 */
export function attempt<T>(work: () => Maybe<T>, recover: (err: unknown) => Maybe<T>): Maybe<T> {
  let value: Maybe<T>;
  try {
    value = work();
  } catch (err) {
    return recover(err);
  }
  return value instanceof Promise ? value.catch(recover) : value;
}

const UNSET: unique symbol = Symbol('unset');

/**
 * A value computed once and kept. A promised value is replaced by the value itself once it
 * arrives, so later readers get it synchronously instead of awaiting the promise again.
 */
export class Memo<T> {
  private value: Maybe<T> | typeof UNSET = UNSET;

  get(compute: () => Maybe<T>): Maybe<T> {
    if (this.value !== UNSET) return this.value;
    const answer = compute();
    this.value = answer instanceof Promise ? answer.then((settled) => (this.value = settled)) : answer;
    return this.value;
  }
}
