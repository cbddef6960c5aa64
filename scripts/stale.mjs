/**
 * Whether dist/ must be built (again): it is missing, or a source it is built from is newer than
 * dist/BUILT (written last by scripts/build.mjs). A fresh clone has no dist/, so `npm start` builds.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['webmachine', 'fs-service', 'repo-server', 'nginx', 'test/conformance', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let latest = stats.mtimeMs;
  for (const name of readdirSync(path)) if (name !== 'node_modules') latest = Math.max(latest, newest(join(path, name)));
  return latest;
}

export function buildIsStale(root) {
  const built = join(root, 'dist', 'BUILT');
  if (!existsSync(built)) return true;
  const at = statSync(built).mtimeMs;
  return SOURCES.some((source) => newest(join(root, source)) > at);
}
