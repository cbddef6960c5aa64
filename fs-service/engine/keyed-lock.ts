/**
 * Per-key shared/exclusive lock with FIFO fairness. Shared holders (writes of content-addressed
 * objects, which commute) run together; an exclusive holder (ref writes, CAS, deletes) runs
 * alone, in arrival order, so a queued exclusive request is never starved by later shared ones.
 */
type Mode = 'shared' | 'exclusive';

interface Waiter {
  mode: Mode;
  grant: () => void;
}

interface KeyState {
  shared: number;
  exclusive: boolean;
  queue: Waiter[];
}

export class KeyedLock {
  private readonly keys = new Map<string, KeyState>();

  async run<T>(key: string, mode: Mode, fn: () => Promise<T>): Promise<T> {
    await this.acquire(key, mode);
    try {
      return await fn();
    } finally {
      this.release(key, mode);
    }
  }

  private acquire(key: string, mode: Mode): Promise<void> {
    let state = this.keys.get(key);
    if (state === undefined) {
      state = { shared: 0, exclusive: false, queue: [] };
      this.keys.set(key, state);
    }
    if (state.queue.length === 0 && this.compatible(state, mode)) {
      this.take(state, mode);
      return Promise.resolve();
    }
    return new Promise((resolve) => state.queue.push({ mode, grant: resolve }));
  }

  private compatible(state: KeyState, mode: Mode): boolean {
    return mode === 'shared' ? !state.exclusive : !state.exclusive && state.shared === 0;
  }

  private take(state: KeyState, mode: Mode): void {
    if (mode === 'shared') state.shared++;
    else state.exclusive = true;
  }

  private release(key: string, mode: Mode): void {
    const state = this.keys.get(key);
    if (state === undefined) return;
    if (mode === 'shared') state.shared--;
    else state.exclusive = false;
    while (state.queue.length > 0 && this.compatible(state, state.queue[0]!.mode)) {
      const next = state.queue.shift()!;
      this.take(state, next.mode);
      next.grant();
    }
    if (state.shared === 0 && !state.exclusive && state.queue.length === 0) this.keys.delete(key);
  }
}
