import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** A Debian package's binary, installed with apt-get when missing (the launcher says so); throws if impossible. */
function ensureDebianBinary(pkg: string, candidates: string[], log: (line: string) => void): string {
  const find = () => candidates.find((p) => existsSync(p));
  const found = find();
  if (found !== undefined) return found;
  log(`${pkg} is not installed: installing the Debian package with apt-get`);
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', pkg], { stdio: 'inherit', env });
  } catch (err) {
    throw new Error(`could not install ${pkg} with apt-get (${(err as Error).message}); install it and retry`);
  }
  const installed = find();
  if (installed === undefined) throw new Error(`apt-get installed ${pkg} but none of ${candidates.join(', ')} exists`);
  return installed;
}

/** Debian's nginx. */
export function ensureNginx(log: (line: string) => void): string {
  return ensureDebianBinary('nginx', ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'], log);
}

/** Debian's etcd-server (the control state's store). */
export function ensureEtcd(log: (line: string) => void): string {
  return ensureDebianBinary('etcd-server', ['/usr/bin/etcd', '/usr/local/bin/etcd'], log);
}

/** Debian's keepalived (the HA front door's VRRP: the virtual IP in front of the nginx nodes). */
export function ensureKeepalived(log: (line: string) => void): string {
  return ensureDebianBinary('keepalived', ['/usr/sbin/keepalived', '/usr/local/sbin/keepalived'], log);
}

/** Debian's curl: keepalived's health check asks nginx with it. */
export function ensureCurl(log: (line: string) => void): string {
  return ensureDebianBinary('curl', ['/usr/bin/curl', '/usr/local/bin/curl'], log);
}

/** Debian's logrotate: the launcher's log files. */
export function ensureLogrotate(log: (line: string) => void): string {
  return ensureDebianBinary('logrotate', ['/usr/sbin/logrotate', '/usr/bin/logrotate'], log);
}
