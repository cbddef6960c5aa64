/**
 * The web client's Markdown (markdown.js: markdown-it with its plugins) on pathological inputs,
 * against the reference of ordinary prose of the same size, in the same run. Two figures per input:
 * its cost at 60 KB as a ratio of prose's, and how its cost grows from 30 KB to 240 KB, as the
 * exponent k of time ~ size^k (linear work gives 1; the old hand-written renderer's quadratic work
 * gave 2; ordinary prose measures 0.9 to 1.3 on a busy box: garbage collection grows with the heap). Seven runs each
 * after a warm-up; median and range. The budget: k < 1.75 for every input, short of quadratic
 * (the browser test separately holds each 60 KB input under 200 ms of main-thread CPU).
 *
 *   npx tsx test/bench/markdown.ts
 */
import { fileURLToPath } from 'node:url';

const UI = fileURLToPath(new URL('../../repo-server/web/ui/markdown.js', import.meta.url));
const { markdownToHtml } = (await import(UI)) as { markdownToHtml(source: string): string };

const RUNS = 7;
const EXPONENT_BUDGET = 1.75;

const PROSE_UNIT = `## A section heading

Open textbooks are written by *many* hands: an author drafts a **module**, an editor reads it
against the [style guide](guide.md), and a reviewer checks every \`figure\` and formula.

- first point, with a [link](https://example.org)
- second point
- third point

> A quotation that runs for a line or two.

`;

/** Each input as a function of its size in bytes (about). */
const INPUTS: Record<string, (bytes: number) => string> = {
  'prose (reference)': (n) => PROSE_UNIT.repeat(Math.ceil(n / PROSE_UNIT.length)),
  '"*a " (the issue)': (n) => '*a '.repeat(n / 3),
  '"[a]("': (n) => '[a]('.repeat(n / 4),
  '"$a " (math)': (n) => '$a '.repeat(n / 3),
  'nested quotes': (n) => `${'> '.repeat(5_000)}deep\n`.repeat(Math.ceil(n / 10_005)),
  'table of 10,000 columns': (n) => `| a |\n|${'-|'.repeat(n / 6)}\n${'| b '.repeat(n / 12)}\n`,
};

function timeMs(source: string): number {
  const start = process.hrtime.bigint();
  markdownToHtml(source);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function stats(samples: number[]): { median: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

function measure(source: string): { median: number; min: number; max: number } {
  timeMs(source);
  return stats(Array.from({ length: RUNS }, () => timeMs(source)));
}

const fmt = (s: { median: number; min: number; max: number }) => `${s.median.toFixed(1)} ms (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;

let reference = 0;
let failed = false;
console.log(`markdown.js (markdown-it), ${RUNS} runs each, median (range)`);
for (const [name, make] of Object.entries(INPUTS)) {
  const at60 = measure(make(60_000));
  const small = measure(make(30_000));
  const large = measure(make(240_000));
  if (reference === 0) reference = at60.median;
  const exponent = Math.log(large.median / small.median) / Math.log(8);
  const ok = exponent < EXPONENT_BUDGET;
  failed ||= !ok;
  console.log(
    `${name.padEnd(26)} 60 KB ${fmt(at60).padEnd(26)} ${(at60.median / reference).toFixed(2)}x prose   30 KB ${fmt(small).padEnd(24)} 240 KB ${fmt(large).padEnd(28)} k = ${exponent.toFixed(2)} ${ok ? '' : `OVER BUDGET (${EXPONENT_BUDGET})`}`,
  );
}
process.exitCode = failed ? 1 : 0;
