/** Reads one shard's copy of a repository straight from its data directory. */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vbucketOf } from '../../fs-service/index.js';
import { vbucketDirName } from '../../fs-service/control/vbucket-map.js';

export function repoDir(dataDir: string, repo: string): string {
  return join(dataDir, vbucketDirName(vbucketOf(repo)), repo);
}

/** path -> sha1 of every file (and "dir" for folders) of the copy. */
export function copyDigest(dataDir: string, repo: string): Record<string, string> {
  const out: Record<string, string> = {};
  const root = repoDir(dataDir, repo);
  if (!existsSync(root)) return out;
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const path = `${rel}/${name}`;
      if (lstatSync(full).isDirectory()) {
        out[path] = 'dir';
        walk(full, path);
      } else out[path] = createHash('sha1').update(readFileSync(full)).digest('hex');
    }
  };
  walk(root, '');
  return out;
}

/** Content whose sha1 names it, so a torn or mixed file is detectable by its name. */
export function selfNamed(i: number, size: number): { path: string; data: Buffer } {
  const data = Buffer.alloc(size, `object ${i} `);
  const oid = createHash('sha1').update(data).digest('hex');
  return { path: `/objects/${oid.slice(0, 2)}/${oid.slice(2)}`, data };
}

export function isWholeObject(path: string, data: Buffer): boolean {
  const oid = path.replace(/^\/objects\//, '').replace('/', '');
  return createHash('sha1').update(data).digest('hex') === oid;
}
