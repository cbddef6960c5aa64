import { describe, expect, it } from 'vitest';
import { isBinary, splitLines, type LineChange } from '../../../repo-server/domain/line-diff.js';
import { diffLines, merge3 } from '../../../repo-server/domain/text-diff.js';

function apply(a: string[], b: string[], changes: LineChange[]): string[] {
  const out: string[] = [];
  let cursor = 0;
  for (const c of changes) {
    out.push(...a.slice(cursor, c.aStart), ...b.slice(c.bStart, c.bEnd));
    cursor = c.aEnd;
  }
  return [...out, ...a.slice(cursor)];
}

function lcsLength(a: string[], b: string[]): number {
  const row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    let diag = 0;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = x === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!);
      diag = up;
    }
  }
  return row[b.length]!;
}

/** Deterministic pseudo-random numbers, so failures reproduce. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('line diff', () => {
  it('splits bytes into lines that keep their newline, the last one possibly without', () => {
    expect(splitLines(Buffer.from('a\nb\n'))).toEqual(['a\n', 'b\n']);
    expect(splitLines(Buffer.from('a\nb'))).toEqual(['a\n', 'b']);
    expect(splitLines(Buffer.from(''))).toEqual([]);
    expect(splitLines(Buffer.from([0xff, 0x0a]))).toEqual(['\xff\n']);
  });

  it('detects binary content as git does (NUL in the first 8000 bytes)', () => {
    expect(isBinary(Buffer.from('text\n'))).toBe(false);
    expect(isBinary(Buffer.from([1, 2, 0, 3]))).toBe(true);
    expect(isBinary(Buffer.concat([Buffer.alloc(8000, 'a'), Buffer.from([0])]))).toBe(false);
  });

  it('produces a valid minimal edit script on random inputs', () => {
    const rnd = random(42);
    for (let round = 0; round < 300; round++) {
      const make = () => Array.from({ length: Math.floor(rnd() * 30) }, () => `${Math.floor(rnd() * 5)}\n`);
      const a = make();
      const b = make();
      const changes = diffLines(a, b);
      expect(apply(a, b, changes)).toEqual(b);
      const removed = changes.reduce((n, c) => n + c.aEnd - c.aStart, 0);
      const added = changes.reduce((n, c) => n + c.bEnd - c.bStart, 0);
      const lcs = lcsLength(a, b);
      expect(removed).toBe(a.length - lcs);
      expect(added).toBe(b.length - lcs);
      // Changes are ordered and separated by at least one equal line.
      changes.slice(1).forEach((c, i) => expect(c.aStart).toBeGreaterThan(changes[i]!.aEnd));
    }
  });

  it('slides an inserted line down like git', () => {
    expect(diffLines(['a\n', 'b\n'], ['a\n', 'b\n', 'b\n'])).toEqual([{ aStart: 2, aEnd: 2, bStart: 2, bEnd: 3 }]);
    expect(diffLines(['x\n', 'x\n', 'x\n'], ['x\n'])).toEqual([{ aStart: 1, aEnd: 3, bStart: 1, bEnd: 1 }]);
  });

  it('still answers (not minimal) for inputs with very many differences', () => {
    const a = Array.from({ length: 6000 }, (_, i) => `a${i}\n`);
    const b = Array.from({ length: 6000 }, (_, i) => `b${i}\n`);
    const changes = diffLines(a, b);
    expect(apply(a, b, changes)).toEqual(b);
  });
});

describe('three-way line merge', () => {
  const lines = (s: string) => splitLines(Buffer.from(s));

  it('merges non-overlapping edits of both sides', () => {
    const base = lines('1\n2\n3\n4\n5\n6\n7\n');
    const ours = lines('1 ours\n2\n3\n4\n5\n6\n7\n');
    const theirs = lines('1\n2\n3\n4\n5\n6\n7 theirs\n');
    expect(merge3(base, ours, theirs)).toEqual({ clean: true, lines: lines('1 ours\n2\n3\n4\n5\n6\n7 theirs\n') });
  });

  it('takes identical edits once', () => {
    const base = lines('a\nb\n');
    expect(merge3(base, lines('a\nB\n'), lines('a\nB\n'))).toEqual({ clean: true, lines: lines('a\nB\n') });
  });

  it('conflicts on overlapping and on adjacent edits, as git', () => {
    const base = lines('1\n2\n3\n4\n');
    expect(merge3(base, lines('1\nX\n3\n4\n'), lines('1\nY\n3\n4\n'))).toEqual({ clean: false, conflicts: 1 });
    expect(merge3(base, lines('1\nX\n3\n4\n'), lines('1\n2\nY\n4\n'))).toEqual({ clean: false, conflicts: 1 });
    expect(merge3([], lines('a\n'), lines('b\n'))).toEqual({ clean: false, conflicts: 1 });
  });

  it('handles insertions and deletions on either side', () => {
    const base = lines('1\n2\n3\n4\n5\n6\n7\n8\n');
    const ours = lines('0\n1\n2\n3\n4\n5\n6\n7\n8\n');
    const theirs = lines('1\n2\n3\n4\n5\n6\n');
    expect(merge3(base, ours, theirs)).toEqual({ clean: true, lines: lines('0\n1\n2\n3\n4\n5\n6\n') });
  });
});
