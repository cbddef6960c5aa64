import { randomBytes } from 'node:crypto';
import type { GitSandbox } from './git-client.js';

export interface BigRepoShape {
  files: number;
  commits: number;
  /** Binary files over 1 MiB, each rewritten a few times in history. */
  binaries: number;
  binaryBytes: number;
}

/**
 * Builds a repository with `git fast-import` (seconds, not minutes): the first commit adds every
 * file, later commits change one to three text files, and every 100th commit rewrites a binary.
 * Contents are deterministic except the binaries (random, so incompressible like real media).
 */
export async function buildBigRepo(sb: GitSandbox, dir: string, shape: BigRepoShape): Promise<void> {
  await sb.ok(['init', '-q', '-b', 'main', dir]);
  const parts: Buffer[] = [];
  const text = (s: string): void => {
    parts.push(Buffer.from(s, 'utf8'));
  };
  const data = (content: Buffer): void => {
    text(`data ${content.length}\n`);
    parts.push(content);
    text('\n');
  };
  const path = (i: number): string => `part${String(Math.floor(i / 250)).padStart(2, '0')}/sec${String(Math.floor(i / 25) % 10)}/file${i}.md`;
  const body = (i: number, rev: number): Buffer => Buffer.from(`# File ${i}\n\n${`Paragraph of file ${i}, kept long enough to delta well.\n`.repeat(4)}revision ${rev}\n`);
  let time = 1_700_000_000;
  for (let c = 0; c < shape.commits; c++) {
    text(`commit refs/heads/main\nmark :${c + 1}\ncommitter Builder <builder@example.test> ${time} +0000\n`);
    time += 60;
    data(Buffer.from(`commit ${c}\n`));
    if (c > 0) text(`from :${c}\n`);
    if (c === 0) {
      for (let i = 0; i < shape.files; i++) {
        text(`M 100644 inline ${path(i)}\n`);
        data(body(i, 0));
      }
      for (let b = 0; b < shape.binaries; b++) {
        text(`M 100644 inline media/image${b}.bin\n`);
        data(randomBytes(shape.binaryBytes));
      }
    } else {
      for (let k = 0; k < 1 + (c % 3); k++) {
        const i = (c * 7919 + k * 104729) % shape.files;
        text(`M 100644 inline ${path(i)}\n`);
        data(body(i, c));
      }
      if (c % 100 === 0 && shape.binaries > 0) {
        text(`M 100644 inline media/image${c % shape.binaries}.bin\n`);
        data(randomBytes(shape.binaryBytes));
      }
    }
    text('\n');
  }
  text('done\n');
  await sb.ok(['fast-import', '--quiet', '--done'], { cwd: dir, input: Buffer.concat(parts), timeoutMs: 120_000 });
  await sb.ok(['checkout', '-q', '-f', 'main'], { cwd: dir });
}
