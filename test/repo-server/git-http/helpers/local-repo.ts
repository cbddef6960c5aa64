import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GitSandbox } from './git-client.js';

/** Writes files into a working tree and commits them with the real git; returns the commit id. */
export async function commitFiles(sb: GitSandbox, dir: string, files: Record<string, string | Buffer>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  await sb.ok(['add', '-A'], { cwd: dir });
  await sb.ok(['commit', '-q', '-m', message], { cwd: dir });
  return (await sb.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim();
}

/** `git fsck --full` must pass; dangling objects are notes, not errors. */
export async function fsckClean(sb: GitSandbox, dir: string): Promise<string> {
  const r = await sb.git(['fsck', '--full', '--no-dangling'], { cwd: dir });
  if (r.code !== 0 || /error|missing|broken|corrupt/i.test(r.stderr + r.stdout)) {
    throw new Error(`git fsck failed in ${dir}:\n${r.stderr}\n${r.stdout}`);
  }
  return r.stdout;
}

/** Ref name -> id as `git for-each-ref` / `ls-remote` print them. */
export function parseRefList(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{40})\s+(?:commit |tag |tree |blob )?\s*(\S+)$/.exec(line.trim());
    if (m !== null) out.set(m[2] as string, m[1] as string);
  }
  return out;
}
