/**
 * The Node.js releases the service is proven on beside the one that runs the suite (Node 20 on
 * this box), and how a test obtains them: the official binaries, published on the npm registry as
 * `node-<platform>-<arch>@<version>` (bin/node in the package), installed once into a cache outside
 * the repository. `npm pack` checks the tarball against the registry's integrity hash. A release
 * that cannot be fetched fails the test that asked for it: it is never skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NodeRelease {
  version: string;
  /** Its line's status when pinned (December 2026), from the binary's own process.release.lts and changelog. */
  status: string;
}

/** Pinned so every run tests the same binaries; docs/operations.md says when to move them. */
export const NEWER_NODES: readonly NodeRelease[] = [
  { version: '22.23.5', status: "22 'Jod', LTS" },
  { version: '24.22.3', status: "24 'Krypton', LTS: the newest LTS line with a build on the registry" },
  { version: '26.12.1', status: '26, Current: its LTS builds are not on the registry yet' },
];

/** `$XDG_CACHE_HOME/content-repo` (~/.cache/content-repo): shared by every checkout on the machine. */
function nodeCache(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'content-repo');
}

function reportsVersion(bin: string, version: string): boolean {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim() === `v${version}`;
  } catch {
    return false;
  }
}

/**
 * The path of that release's node binary, fetched with `npm pack` into the cache when it is not
 * there yet. Unpacked beside the cache's final folder and renamed into place, so a run that stops
 * halfway, or another checkout installing the same release at once, never leaves a torn copy.
 */
export function obtainNode(version: string): string {
  const cache = nodeCache();
  const home = join(cache, `node-${version}`);
  const bin = join(home, 'bin', 'node');
  if (reportsVersion(bin, version)) return bin;
  mkdirSync(cache, { recursive: true });
  const work = mkdtempSync(join(cache, `.node-${version}-`));
  const pkg = `node-${process.platform}-${process.arch}@${version}`;
  try {
    const pack = spawnSync('npm', ['pack', pkg, '--loglevel=error', '--pack-destination', work], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
    if (pack.status !== 0) {
      throw new Error(`could not fetch Node ${version} (${pkg}) from the npm registry: npm pack ${pack.error?.message ?? `exited ${pack.status ?? pack.signal}`}\n${pack.stderr}`);
    }
    const tarball = pack.stdout.trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work], { timeout: 120_000 });
    if (!reportsVersion(join(work, 'package', 'bin', 'node'), version)) throw new Error(`${pkg} from the npm registry holds no node binary that reports v${version}`);
    if (existsSync(home) && !reportsVersion(bin, version)) rmSync(home, { recursive: true, force: true });
    try {
      renameSync(join(work, 'package'), home);
    } catch (err) {
      // Another run put it in place first: theirs is as good as ours.
      if (!reportsVersion(bin, version)) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return bin;
}
