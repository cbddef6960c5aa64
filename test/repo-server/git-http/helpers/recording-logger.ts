import type { GitHttpLogger } from '../../../../repo-server/git-http/index.js';

export interface LogRecord {
  level: string;
  msg: string | undefined;
  obj: Record<string, unknown>;
}

/** Keeps what the router logs, so tests can assert on pack sizes and paths taken. */
export function recordingLogger(): GitHttpLogger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      records.push({ level, msg, obj: obj as Record<string, unknown> });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
