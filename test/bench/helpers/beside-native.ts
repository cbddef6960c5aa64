/**
 * Our server and native `git http-backend` (through fcgiwrap, from Debian's packages) behind one
 * nginx, so a bench compares the two on the same box, through the same proxy, in the same run:
 * `/ours/<repo>.git` and `/native/<repo>.git`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const children: ChildProcess[] = [];

export function ensureFcgiwrap(): string {
  const found = spawnSync('sh', ['-c', 'command -v fcgiwrap || ls /usr/sbin/fcgiwrap 2>/dev/null'], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found.split('\n')[0] as string;
  process.stderr.write('installing fcgiwrap with apt-get\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'fcgiwrap'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error('apt-get install fcgiwrap failed');
  return '/usr/sbin/fcgiwrap';
}

/** Own process group, so stopping it also stops the workers it forks (fcgiwrap -c, nginx). */
function startDetached(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  children.push(child);
  return child;
}

/** Stops nginx and fcgiwrap (by their process groups). */
export function stopAll(): void {
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null) {
      try {
        process.kill(-c.pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
  }
}

export async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function nginxConfig(root: string, port: number, oursPort: number, socket: string, projectRoot: string): string {
  return `worker_processes 2;
user root;
pid ${root}/nginx.pid;
error_log ${root}/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${root}/body;
  proxy_temp_path ${root}/proxy;
  fastcgi_temp_path ${root}/fastcgi;
  uwsgi_temp_path ${root}/uwsgi;
  scgi_temp_path ${root}/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:${port};
    location /ours/ {
      proxy_pass http://127.0.0.1:${oursPort}/;
      proxy_http_version 1.1;
      proxy_buffering off;
      proxy_request_buffering off;
    }
    location ~ ^/native(/.*)$ {
      fastcgi_pass unix:${socket};
      fastcgi_buffering off;
      fastcgi_request_buffering off;
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME /usr/lib/git-core/git-http-backend;
      fastcgi_param GIT_PROJECT_ROOT ${projectRoot};
      fastcgi_param GIT_HTTP_EXPORT_ALL 1;
      fastcgi_param GIT_PROTOCOL $http_git_protocol;
      fastcgi_param PATH_INFO $1;
    }
  }
}
`;
}

/**
 * nginx on a free port in front of our server (already listening on `oursPort`) and of native
 * git http-backend serving the bare repositories under `<root>/native`. Answers the base URL.
 */
export async function startBesideNative(root: string, oursPort: number): Promise<{ base: string; nativeRoot: string }> {
  const fcgiwrap = ensureFcgiwrap();
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'native']) mkdirSync(join(root, d), { recursive: true });
  const socket = join(root, 'fcgiwrap.sock');
  startDetached(fcgiwrap, ['-c', '4', '-s', `unix:${socket}`]);
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(root, 'nginx.conf'), nginxConfig(root, port, oursPort, socket, join(root, 'native')));
  startDetached('nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-g', 'daemon off;']);
  return { base: `http://127.0.0.1:${port}`, nativeRoot: join(root, 'native') };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
