import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'];

function find(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

/** Debian's nginx, installed with apt-get when missing (the launcher says so); throws if impossible. */
export function ensureNginx(log: (line: string) => void): string {
  const found = find();
  if (found !== undefined) return found;
  log('nginx is not installed: installing the Debian package with apt-get');
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'nginx'], { stdio: 'inherit', env });
  } catch (err) {
    throw new Error(`could not install nginx with apt-get (${(err as Error).message}); install it and retry`);
  }
  const installed = find();
  if (installed === undefined) throw new Error('apt-get finished but no nginx binary was found');
  return installed;
}
