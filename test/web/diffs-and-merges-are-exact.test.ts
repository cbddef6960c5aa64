/**
 * The client's line diff (Myers), hunks, three-way merge (diff3) and unified-diff parser: what the
 * conflict panel and the history show, and what "merge my changes into theirs" writes. The browser
 * cannot run the server's TypeScript, so its own diff and merge are checked against the server's
 * (repo-server/domain) on random inputs: an author merging in the browser gets what a merge on
 * the server would give.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { merge3 as serverMerge3 } from '../../repo-server/domain/diff3.js';
import { diffLines as serverDiffLines } from '../../repo-server/domain/line-diff.js';
import { type DiffModule, loadUi } from './helpers/ui-modules.js';

let d: DiffModule;
beforeAll(async () => {
  d = await loadUi<DiffModule>('diff.js');
});

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('line diff', () => {
  it('rebuilds both sides and is as small as the server’s diff', () => {
    const next = random(7);
    for (let n = 0; n < 500; n++) {
      const make = () => Array.from({ length: Math.floor(next() * 14) }, () => 'abcd'[Math.floor(next() * 4)]!);
      const a = make();
      const b = make();
      const ops = d.diffLines(a, b);
      expect(ops.filter((o) => o.type !== 'add').map((o) => o.text)).toEqual(a);
      expect(ops.filter((o) => o.type !== 'del').map((o) => o.text)).toEqual(b);
      const serverChanged = serverDiffLines(a, b).reduce((n, c) => n + (c.aEnd - c.aStart) + (c.bEnd - c.bStart), 0);
      expect(ops.filter((o) => o.type !== 'same').length).toBe(serverChanged);
    }
  });

  it('splits text into lines without counting a final newline as a line', () => {
    expect(d.splitLines('')).toEqual([]);
    expect(d.splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(d.splitLines('a\n\nb')).toEqual(['a', '', 'b']);
  });

  it('groups changes into hunks with three lines of context and 1-based numbers', () => {
    const old = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const changed = [...old];
    changed[1] = 'LINE 2';
    changed[17] = 'LINE 18';
    const hunks = d.hunks(d.diffLines(old, changed));
    expect(hunks.map((h) => [h.oldStart, h.oldCount, h.newStart, h.newCount])).toEqual([
      [1, 5, 1, 5],
      [15, 6, 15, 6],
    ]);
    // Changes closer than two contexts apart share one hunk.
    changed[7] = 'LINE 8';
    expect(d.hunks(d.diffLines(old, changed)).length).toBe(2);
    expect(d.hunks(d.diffLines(old, old))).toEqual([]);
  });
});

describe('three-way merge', () => {
  const base = 'title\n\none\ntwo\nthree\n\nend\n';

  it('keeps changes to different lines from both sides', () => {
    expect(d.merge3(base, base.replace('title', 'Title'), base.replace('end', 'The end'))).toEqual({ text: 'Title\n\none\ntwo\nthree\n\nThe end\n', conflicts: 0 });
  });

  it('takes a change made identically on both sides once', () => {
    const both = base.replace('two', '2');
    expect(d.merge3(base, both, both)).toEqual({ text: both, conflicts: 0 });
  });

  it('keeps insertions and deletions of both sides', () => {
    const mine = base.replace('one\n', '');
    const theirs = base.replace('end\n', 'end\nappendix\n');
    expect(d.merge3(base, mine, theirs)).toEqual({ text: 'title\n\ntwo\nthree\n\nend\nappendix\n', conflicts: 0 });
  });

  it('marks the same lines changed differently as a conflict, with git’s markers', () => {
    const merged = d.merge3(base, base.replace('two', 'TWO'), base.replace('two', 'deux'), { mine: 'yours', theirs: 'theirs' });
    expect(merged.conflicts).toBe(1);
    expect(merged.text).toBe('title\n\none\n<<<<<<< yours\nTWO\n=======\ndeux\n>>>>>>> theirs\nthree\n\nend\n');
  });

  it('treats changes to touching lines as one conflict, as git does', () => {
    const merged = d.merge3(base, base.replace('one', 'ONE'), base.replace('two', 'TWO'));
    expect(merged.conflicts).toBe(1);
    expect(merged.text).toContain('<<<<<<< yours\nONE\ntwo\n=======\none\nTWO\n>>>>>>> theirs\n');
  });

  it('ends a side without a final newline before a marker', () => {
    expect(d.merge3('a', 'b', 'c').text).toBe('<<<<<<< yours\nb\n=======\nc\n>>>>>>> theirs\n');
  });

  it('a new file written twice (empty base) is one conflict of both texts', () => {
    expect(d.merge3('', 'mine\n', 'theirs\n')).toEqual({ text: '<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> theirs\n', conflicts: 1 });
  });

  it('agrees with the server’s merge on random edits: clean or not, and the same text when clean', () => {
    const next = random(23);
    const edit = (lines: string[]) => {
      const out = [...lines];
      for (let k = Math.floor(next() * 3); k >= 0; k--) {
        const at = Math.floor(next() * (out.length + 1));
        const roll = next();
        if (roll < 0.4 && at < out.length) out.splice(at, 1);
        else if (roll < 0.7) out.splice(at, 0, `new ${Math.floor(next() * 5)}\n`);
        else if (at < out.length) out[at] = `changed ${Math.floor(next() * 3)}\n`;
      }
      return out;
    };
    let conflicted = 0;
    for (let n = 0; n < 400; n++) {
      const base = Array.from({ length: 3 + Math.floor(next() * 10) }, (_, i) => `line ${i}\n`);
      const mine = edit(base);
      const theirs = edit(base);
      const server = serverMerge3(base, mine, theirs);
      const client = d.merge3(base.join(''), mine.join(''), theirs.join(''));
      const context = JSON.stringify({ base, mine, theirs });
      expect(client.conflicts === 0, context).toBe(server.clean);
      if (server.clean) expect(client.text, context).toBe(server.lines.join(''));
      else conflicted++;
    }
    // Both kinds of outcome were tried.
    expect(conflicted).toBeGreaterThan(20);
    expect(conflicted).toBeLessThan(380);
  });

  it('is exact for random edits that do not overlap', () => {
    const next = random(11);
    for (let n = 0; n < 200; n++) {
      const lines = Array.from({ length: 30 }, (_, i) => `line ${i}\n`);
      const mine = [...lines];
      const theirs = [...lines];
      // Mine edits the first half, theirs the second, with an untouched line between.
      mine[Math.floor(next() * 14)] = 'mine\n';
      theirs[16 + Math.floor(next() * 14)] = 'theirs\n';
      const expected = lines.map((l, i) => (mine[i] !== l ? mine[i] : theirs[i]));
      expect(d.merge3(lines.join(''), mine.join(''), theirs.join(''))).toEqual({ text: expected.join(''), conflicts: 0 });
    }
  });
});

describe('unified diffs from the server', () => {
  const text = [
    'diff --git a/chapters/intro.md b/chapters/intro.md',
    'index 5570c7f..cd0c40a 100644',
    '--- a/chapters/intro.md',
    '+++ b/chapters/intro.md',
    '@@ -1 +1,2 @@',
    '-# Hello',
    '+# Hello',
    '+',
    '\\ No newline at end of file',
    'diff --git a/new.md b/new.md',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/new.md',
    '@@ -0,0 +1 @@',
    '+--- not a header',
    '',
  ].join('\n');

  it('are split into files with their lines, headers told apart from content', () => {
    const files = d.parseUnified(text);
    expect(files.map((f) => [f.oldPath, f.newPath])).toEqual([
      ['chapters/intro.md', 'chapters/intro.md'],
      [null, 'new.md'],
    ]);
    expect(files[0]!.lines.filter((l) => l.type !== 'meta')).toEqual([
      { type: 'hunk', text: '@@ -1 +1,2 @@' },
      { type: 'del', text: '# Hello' },
      { type: 'add', text: '# Hello' },
      { type: 'add', text: '' },
    ]);
    expect(files[1]!.lines.at(-1)).toEqual({ type: 'add', text: '--- not a header' });
  });

  it('are narrowed to a file or a folder', () => {
    const files = d.parseUnified(text);
    expect(d.underPath(files, 'chapters').map((f) => f.newPath)).toEqual(['chapters/intro.md']);
    expect(d.underPath(files, 'chap')).toEqual([]);
    expect(d.underPath(files, '').length).toBe(2);
  });
});
