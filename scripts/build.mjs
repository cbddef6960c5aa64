#!/usr/bin/env node
/**
 * `npm run build`: compiles the service with tsc (tsconfig.build.json) into dist/, then copies what
 * is not TypeScript beside the compiled files: the web client (repo-server/web/ui), the libraries
 * it loads from node_modules (the table in repo-server/web/assets.ts, so a deployment needs none
 * of them installed) and the nginx template. Writes dist/BUILT last: `npm start` builds again when
 * any source is newer (scripts/stale.mjs).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}

function copyTree(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyTree(join(from, entry.name), join(to, entry.name));
    else if (entry.isFile()) copy(join(from, entry.name), join(to, entry.name));
  }
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  process.stderr.write('build: TypeScript is not installed (a development dependency): run `npm ci` first\n');
  process.exit(1);
}
rmSync(join(dist, 'BUILT'), { force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });

const web = join(dist, 'repo-server', 'web');
rmSync(join(web, 'ui'), { recursive: true, force: true });
rmSync(join(web, 'lib'), { recursive: true, force: true });
copyTree(join(root, 'repo-server', 'web', 'ui'), join(web, 'ui'));
const { libraryFiles } = await import(pathToFileURL(join(web, 'assets.js')).href);
for (const [key, file] of libraryFiles(join(root, 'node_modules'))) copy(file, join(web, key));
copy(join(root, 'nginx', 'nginx.conf.template'), join(dist, 'nginx', 'nginx.conf.template'));

// The bin entries of package.json are run directly: executable, with tsc keeping their #! line.
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const target of Object.values(pkg.bin ?? {})) {
  const file = join(root, target);
  if (!existsSync(file)) throw new Error(`package.json bin ${target} was not built`);
  chmodSync(file, 0o755);
}
writeFileSync(join(dist, 'BUILT'), `${new Date().toISOString()}\n`);
