import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface NginxSettings {
  /** Directory holding nginx.pid and logs/ (created by the caller). */
  prefix: string;
  /** Folder for buffered request/response bodies; nginx's worker user must be able to reach it. */
  temp: string;
  /** "127.0.0.1:8080" or a port. */
  listen: string;
  /** Front ends as host:port. */
  upstreams: string[];
  maxBodyBytes: number;
  /** The git push limit (the front ends' MAX_PUSH_BYTES); 2 GiB, the front ends' default, when absent. */
  maxPushBytes?: number;
  workers?: number;
  maxFails?: number;
  failTimeoutSeconds?: number;
}

/** Equal to repo-server's default (repo-server/config.ts), which nginx/ cannot import. */
export const DEFAULT_MAX_PUSH_BYTES = 2 * 1024 * 1024 * 1024;

const templatePath = fileURLToPath(new URL('./nginx.conf.template', import.meta.url));

/** Fills the template; every placeholder must be replaced (an unknown one is a bug). */
export function renderNginxConfig(s: NginxSettings): string {
  if (s.upstreams.length === 0) throw new Error('at least one upstream front end is required');
  const servers = s.upstreams
    .map((u) => `    server ${u} max_fails=${s.maxFails ?? 2} fail_timeout=${s.failTimeoutSeconds ?? 5}s;`)
    .join('\n');
  const values: Record<string, string> = {
    PREFIX: s.prefix,
    TEMP: s.temp,
    LISTEN: s.listen,
    UPSTREAM_SERVERS: servers,
    MAX_BODY_BYTES: String(s.maxBodyBytes),
    MAX_PUSH_BYTES: String(s.maxPushBytes ?? DEFAULT_MAX_PUSH_BYTES),
    WORKERS: String(s.workers ?? 2),
  };
  const out = readFileSync(templatePath, 'utf8').replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`nginx template placeholder {{${key}}} has no value`);
    return value;
  });
  return out;
}
