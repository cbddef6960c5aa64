/**
 * CPU time of groups of processes over a load run, from /proc/<pid>/stat (user + system, every
 * thread), so a load run can say where each request's CPU went: front ends, shards, nginx's
 * workers, the load generator. Linux only, like the rest of the cluster tooling.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds a process has used so far; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export type Groups = Record<string, readonly number[]>;

/** Starts counting; the returned function gives µs of CPU per request for each group. */
export function startCpuCount(groups: Groups): (requests: number) => Record<string, number> {
  const before = Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, pids.map(cpuSeconds)]));
  return (requests) =>
    Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => {
        const used = pids.reduce((sum, pid, i) => sum + Math.max(0, cpuSeconds(pid) - before[name]![i]!), 0);
        return [name, requests > 0 ? (used * 1e6) / requests : 0];
      }),
    );
}
