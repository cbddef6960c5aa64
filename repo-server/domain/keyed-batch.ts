/**
 * Group commit: requests for one key (repository + branch) that arrive while a batch is being
 * processed wait and are then processed together as the next batch. One worker per key; idle
 * keys leave nothing behind.
 */
export class KeyedBatcher<I, R> {
  private readonly queues = new Map<string, { item: I; resolve: (r: R) => void; reject: (e: unknown) => void }[]>();

  constructor(
    private readonly process: (key: string, items: I[]) => Promise<R[]>,
    private readonly maxBatch = 100,
  ) {}

  submit(key: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const queue = this.queues.get(key);
      if (queue !== undefined) {
        queue.push({ item, resolve, reject });
        return;
      }
      this.queues.set(key, [{ item, resolve, reject }]);
      void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(key)!;
      if (queue.length === 0) {
        this.queues.delete(key);
        return;
      }
      const batch = queue.splice(0, this.maxBatch);
      try {
        const results = await this.process(key, batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]!));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
    }
  }
}
