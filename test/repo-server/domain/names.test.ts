import { describe, expect, it } from 'vitest';
import { decodePath, isValidPath, isValidRepoName, validatePath } from '../../../repo-server/domain/index.js';

describe('repository names', () => {
  it.each(['a', 'my-repo', 'Book_1.0', 'x'.repeat(100), '.hidden', 'a.gitx'])('accepts %j', (name) => {
    expect(isValidRepoName(name)).toBe(true);
  });

  it.each(['', 'x'.repeat(101), 'a/b', 'a b', 'repo.git', 'REPO.GIT', 'é', '..', '.', 'a\0b', 'a%2fb', 'a\\b', '\u202e'])('refuses %j', (name) => {
    expect(isValidRepoName(name)).toBe(false);
  });
});

describe('paths', () => {
  it.each(['a', 'a/b/c.md', 'chapter 1/ünïcode.md', '.gitignore', '.github/x', 'git~10', 'a.git', '😀.txt'])('accepts %j', (path) => {
    expect(isValidPath(path)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['/a', 'leading slash (empty segment)'],
    ['a/', 'trailing slash'],
    ['a//b', 'empty segment'],
    ['./a', 'dot segment'],
    ['a/../b', 'dot-dot segment'],
    ['..', 'dot-dot'],
    ['.git/config', '.git'],
    ['a/.GIT/x', '.git any case'],
    ['a/.git./x', '.git with NTFS trailing dot'],
    ['a/.git /x', '.git with trailing space'],
    ['.git::$INDEX_ALLOCATION/x', 'NTFS stream of .git'],
    ['GIT~1/config', 'NTFS short name of .git'],
    ['.g\u200cit/hooks', '.git with an HFS+ ignorable character'],
    ['a\0b', 'NUL'],
    ['a\\b', 'backslash'],
    ['a/\ud800', 'lone surrogate (not UTF-8)'],
    ['x'.repeat(4097), 'over 4096 bytes'],
    [`${'é'.repeat(2049)}`, 'over 4096 bytes in UTF-8'],
  ])('refuses %j (%s)', (path) => {
    expect(isValidPath(path)).toBe(false);
  });

  it('accepts exactly 4096 bytes', () => {
    expect(isValidPath('x'.repeat(4096))).toBe(true);
  });

  it('allows the root only where asked', () => {
    expect(validatePath('', true)).toEqual({ ok: true, value: [] });
    expect(validatePath('').ok).toBe(false);
  });

  it('decodes raw bytes only when they are UTF-8', () => {
    expect(decodePath(Buffer.from('ä/b', 'utf8'))).toEqual({ ok: true, value: 'ä/b' });
    expect(decodePath(Buffer.from([0x61, 0xff, 0x62])).ok).toBe(false);
  });
});
