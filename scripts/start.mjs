#!/usr/bin/env node
/**
 * `npm start`: the compiled server (dist/repo-server/main.js) run by node, built first when dist/
 * is missing or older than the sources, so `npm ci && npm start` works on a fresh clone. Its
 * arguments are the server's (`npm start -- --help`).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildIsStale } from './stale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (buildIsStale(root)) {
  process.stderr.write('dist/ is missing or older than the sources: building (npm run build)\n');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
}
await import(pathToFileURL(join(root, 'dist', 'repo-server', 'main.js')).href);
