import { readdirSync } from 'node:fs';

/** Every file under `dir` (a data folder, a shard's) whose name says it is a pack still being received. */
export function incomingFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((p) => p.split('/').pop()!.startsWith('incoming-'));
}
