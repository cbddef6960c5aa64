import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Pid files: each long-running process writes its own (`--pid-file`, PID_FILE) and removes it at
 * exit, so an operator's tools (the launcher's status, stop and restart) find the process that
 * runs now, however it was started: by the launcher, by hand, by a unit. A data folder's `.lock`
 * is a pid file of the same kind.
 */
export function writePidFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${process.pid}\n`);
  process.once('exit', () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  });
}

/** USER_HZ: the unit of /proc/<pid>/stat's start time, 100 on every Linux ABI. */
const TICKS_PER_SECOND = 100;

/** Seconds since the process started (Linux /proc), or null when there is no such process. */
export function processAgeSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields count from the last ')'.
    const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / TICKS_PER_SECOND;
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return uptime - started;
  } catch {
    return null;
  }
}

/**
 * The live process a pid file names, or null: no file, no such process, or the pid now belongs
 * to a process younger than the file (the writer died without removing it and the pid was given
 * to another process), which must never be signalled.
 */
export function livePid(file: string): number | null {
  if (!existsSync(file)) return null;
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    const age = processAgeSeconds(pid);
    const fileAge = (Date.now() - statSync(file).mtimeMs) / 1000;
    return age !== null && age >= fileAge - 0.5 ? pid : null;
  } catch {
    return null;
  }
}
