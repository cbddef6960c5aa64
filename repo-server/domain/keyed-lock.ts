/**
 * In-process mutual exclusion per key (repository + branch). The compare-and-swap on the ref is
 * what makes concurrent writers safe across front ends; queueing writers of one process behind
 * each other only stops them from burning their retries against each other.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // The last waiter cleans up, so idle keys do not accumulate.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
