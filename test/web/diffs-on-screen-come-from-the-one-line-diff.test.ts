/**
 * The rows the client draws for a diff: line numbers on both sides, hunks with three lines of
 * context, the same numbers from git's unified diff as from two texts; and the one line diff and
 * three-way merge behind them, which the client loads as "#text-diff": the very module the
 * server's unified diffs and tree merges use, not a copy of it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as serverTextDiff from '../../repo-server/domain/text-diff.js';
import { fileDiff } from '../../repo-server/domain/unified-diff.js';
import { type DiffModule, loadUi } from './helpers/ui-modules.js';

let d: DiffModule;
beforeAll(async () => {
  d = await loadUi<DiffModule>('diff.js');
});

const lines = (n: number, f: (i: number) => string = (i) => `line ${i}`) => Array.from({ length: n }, (_, i) => `${f(i + 1)}\n`).join('');

describe('diff rows', () => {
  it('the client resolves "#text-diff" to the server’s own module', async () => {
    const client = (await import('#text-diff')) as unknown;
    expect(client).toBe(serverTextDiff);
  });

  it('number the lines of both sides, with three lines of context and 1-based hunk headers', () => {
    const old = lines(20);
    const changed = old.replace('line 2\n', 'LINE 2\n').replace('line 18\n', 'LINE 18\n').replace('line 10\n', '');
    const rows = d.textRows(old, changed);
    expect(rows.filter((r) => r.type === 'hunk').map((r) => r.text)).toEqual(['@@ -1,5 +1,5 @@', '@@ -7,7 +7,6 @@', '@@ -15,6 +14,6 @@']);
    expect(rows.filter((r) => r.type !== 'same' && r.type !== 'hunk')).toEqual([
      { type: 'del', oldNo: 2, newNo: null, text: 'line 2' },
      { type: 'add', oldNo: null, newNo: 2, text: 'LINE 2' },
      { type: 'del', oldNo: 10, newNo: null, text: 'line 10' },
      { type: 'del', oldNo: 18, newNo: null, text: 'LINE 18'.toLowerCase() },
      { type: 'add', oldNo: null, newNo: 17, text: 'LINE 18' },
    ]);
    expect(rows.find((r) => r.type === 'same' && r.text === 'line 11')).toEqual({ type: 'same', oldNo: 11, newNo: 10, text: 'line 11' });
    expect(d.stats(rows)).toEqual({ added: 2, removed: 3 });
    expect(d.textRows('same\n', 'same\n')).toEqual([]);
  });

  it('rebuild both texts exactly from their rows on random edits', () => {
    let s = 11;
    const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 300; n++) {
      const make = () => Array.from({ length: Math.floor(next() * 12) }, () => `${'abcd'[Math.floor(next() * 4)]}\n`).join('');
      const a = make();
      const b = make();
      const rows = d.textRows(a, b).filter((r) => r.type !== 'hunk');
      // Rows cover the changed stretches with context; every old and new number appears in order.
      const olds = rows.filter((r) => r.oldNo !== null).map((r) => r.oldNo!);
      const news = rows.filter((r) => r.newNo !== null).map((r) => r.newNo!);
      expect(olds).toEqual([...olds].sort((x, y) => x - y));
      expect(news).toEqual([...news].sort((x, y) => x - y));
      for (const r of rows) {
        if (r.oldNo !== null) expect(`${r.text}\n`).toBe(a.split(/(?<=\n)/)[r.oldNo - 1]);
        if (r.newNo !== null) expect(`${r.text}\n`).toBe(b.split(/(?<=\n)/)[r.newNo - 1]);
      }
    }
  });

  it('parse git’s unified diff into the same rows as the two texts give', () => {
    const old = lines(30, (i) => (i % 7 === 0 ? `heading ${i}` : `text ${i}`));
    const changed = old.replace('text 3\n', 'text three\n').replace('text 25\n', 'text 25\nadded\n');
    const diff = fileDiff({ path: 'a b.md', oid: 'a'.repeat(40), mode: '100644', bytes: Buffer.from(old) }, { path: 'a b.md', oid: 'b'.repeat(40), mode: '100644', bytes: Buffer.from(changed) });
    const [file] = d.parseUnified(diff.toString('latin1'));
    expect(file).toMatchObject({ oldPath: 'a b.md', newPath: 'a b.md' });
    const strip = (rows: { type: string; oldNo: number | null; newNo: number | null; text: string }[]) => rows.filter((r) => r.type !== 'hunk');
    expect(strip(file!.rows)).toEqual(strip(d.textRows(old, changed)));
    expect(d.underPath([file!], 'a b.md')).toHaveLength(1);
    expect(d.underPath([file!], 'other')).toHaveLength(0);
  });

  it('merge two edits of a text into resolved stretches and conflicts with base, ours and theirs', () => {
    const base = 'Title\n\nThe team writes.\n\nEnd.\n';
    expect(d.mergeTexts(base, base.replace('Title', 'A title'), base.replace('End.', 'The end.'))).toEqual([{ kind: 'resolved', lines: ['A title\n', '\n', 'The team writes.\n', '\n', 'The end.\n'] }]);
    expect(d.mergeTexts(base, base.replace('team', 'whole team'), base.replace('team', 'entire team'))).toEqual([
      { kind: 'resolved', lines: ['Title\n', '\n'] },
      { kind: 'conflict', base: ['The team writes.\n'], ours: ['The whole team writes.\n'], theirs: ['The entire team writes.\n'] },
      { kind: 'resolved', lines: ['\n', 'End.\n'] },
    ]);
  });
});
