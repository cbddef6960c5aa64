/**
 * Promise.all with at most `limit` calls in flight. On a networked fs every call is a round
 * trip to one shard; thousands at once (a big folder's sizes, a big commit's objects) would
 * queue there anyway and only cost memory and timeouts here. On a disk, a few dozen fsyncs in
 * flight share the file system's journal commits instead of waiting for one each.
 */
export const IO_CONCURRENCY = 32;

export async function mapLimit<T, R>(items: readonly T[], fn: (item: T, index: number) => Promise<R>, limit = IO_CONCURRENCY): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
