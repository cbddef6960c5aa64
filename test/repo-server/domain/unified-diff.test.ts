import { describe, expect, it } from 'vitest';
import { quotePath } from '../../../repo-server/domain/unified-diff.js';
import { harness, ok, type Harness } from './helpers/service.js';
import { exportRepo, gitBytes } from './helpers/native-git.js';
import { rawCommit, type RawFile } from './helpers/raw-commits.js';
import { storageFactories } from './helpers/storages.js';

type Files = Record<string, string | Buffer | RawFile>;

const longLine = `function ${'x'.repeat(100)}   \n`;
const numbered = (n: number, at: Record<number, string> = {}) => Array.from({ length: n }, (_, i) => at[i] ?? `  body ${i}\n`).join('');

const scenarios: [string, Files, Files][] = [
  ['added, deleted, empty and newline-less files', { 'del.md': 'x\ny\n', 'empty-del': '' }, { 'new.md': 'a\nb', 'empty-new': '' }],
  ['mode change alone and with content', { 'run.sh': 'echo\n', 'both.sh': 'a\n' }, { 'run.sh': { mode: '100755', content: 'echo\n' }, 'both.sh': { mode: '100755', content: 'b\n' } }],
  ['a file becoming a symlink', { link: 'plain\n' }, { link: { mode: '120000', content: 'target/path' } }],
  ['a submodule moving', { sub: { mode: '160000', content: 'a'.repeat(40) } }, { sub: { mode: '160000', content: 'b'.repeat(40) } }],
  ['function context longer than 80 bytes', { 'f.c': `${longLine}${numbered(20)}` }, { 'f.c': `${longLine}${numbered(20, { 15: 'changed\n' })}` }],
  ['hunks merged when close, split when far', { 'h.txt': numbered(60) }, { 'h.txt': numbered(60, { 5: 'a\n', 11: 'b\n', 40: 'c\n' }) }],
  ['duplicate lines inserted', { 'dup.txt': 'a\nb\nc\n' }, { 'dup.txt': 'a\nb\nb\nc\n' }],
  ['CRLF and non-UTF-8 bytes', { 'crlf.txt': 'one\r\ntwo\r\n', 'latin.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) }, { 'crlf.txt': 'one\r\nTWO\r\n', 'latin.txt': Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x0a]) }],
  ['names that need quoting', { 'we"ird\tname': 'a\n', 'sp ace.md': 'a\n' }, { 'we"ird\tname': 'b\n', 'sp ace.md': 'b\n' }],
  ['binary added and changed', { 'b.bin': Buffer.from([0, 1, 2]) }, { 'b.bin': Buffer.from([0, 1, 3]), 'c.bin': Buffer.from([0]) }],
];

async function ourDiff(h: Harness, before: Files, after: Files): Promise<{ ours: Buffer; theirs: Buffer }> {
  await h.service.createRepository('r');
  const store = h.storage.repo('r');
  const a = await rawCommit(store, before);
  const b = await rawCommit(store, after, [a]);
  ok(await h.service.createBranch('r', 'main', { from: a }));
  ok(await h.service.createBranch('r', 'next', { from: b }));
  const ours = ok(await h.service.compareDiff('r', 'main', 'next')).diff;
  const dir = await exportRepo(store);
  return { ours, theirs: gitBytes(dir, ['diff', '--no-renames', '--no-color', '--no-ext-diff', 'main', 'next']) };
}

describe.each(storageFactories)('unified diff on $name storage', (factory) => {
  it.each(scenarios)('matches git diff for %s', async (_name, before, after) => {
    const { ours, theirs } = await ourDiff(await harness(factory), before, after);
    expect(ours.toString('latin1')).toBe(theirs.toString('latin1'));
    expect(theirs.length).toBeGreaterThan(0);
  });
});

describe('path quoting', () => {
  it('quotes like git with core.quotePath', () => {
    expect(quotePath('a/plain name.md')).toBe('a/plain name.md');
    expect(quotePath('a/ä')).toBe('"a/\\303\\244"');
    expect(quotePath('a/"q"\\')).toBe('"a/\\"q\\"\\\\"');
    expect(quotePath('a/\x01\x7f')).toBe('"a/\\001\\177"');
  });
});
