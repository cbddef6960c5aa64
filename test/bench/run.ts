/**
 * `npm run bench`: runs every benchmark script in this folder (test/bench/*.ts, except this file
 * and declaration files), one after the other, each in its own tsx process so one bench's servers,
 * JIT state and heap never colour another's figures.
 *
 *   npm run bench                    every bench
 *   npm run bench -- webmachine git  only the benches whose file name contains one of the words
 *
 * Exits non-zero when any bench failed (a bench fails by exiting non-zero, for example when it
 * misses its budget), after running all of them.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', 'node_modules', '.bin', 'tsx');
const filters = process.argv.slice(2);

const benches = readdirSync(here)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && name !== basename(fileURLToPath(import.meta.url)))
  .filter((name) => filters.length === 0 || filters.some((word) => name.includes(word)))
  .sort();

function run(file: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [join(here, file)], { stdio: 'inherit' });
    child.on('error', (err) => {
      console.error(`${file}: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

const results: { file: string; code: number; seconds: number }[] = [];
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  const started = Date.now();
  const code = await run(file);
  results.push({ file, code, seconds: (Date.now() - started) / 1000 });
}

console.log('\n=== summary ===');
for (const r of results) console.log(`${r.code === 0 ? 'ok    ' : `FAILED (exit ${r.code})`}  ${r.file}  ${r.seconds.toFixed(0)} s`);
if (benches.length === 0) console.log(`no bench matches ${filters.join(' ')}`);
process.exitCode = results.some((r) => r.code !== 0) || benches.length === 0 ? 1 : 0;
