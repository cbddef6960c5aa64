/**
 * Diffs as rows to draw, from two texts or from git's unified diff. The line diff and the
 * three-way merge are not computed here: they are the server's own module (text-diff.js, loaded
 * as "#text-diff"), so what the browser shows and merges is what the server would. Pure
 * functions over strings (no DOM), so they are unit-tested in Node.
 */
import { diffLines, groupHunks, mergeRegions, splitText } from '#text-diff';

/**
 * One line of a diff: its kind, its number on the old and the new side (null where it has
 * none), and its text without the newline. A `hunk` row carries the hunk header as text.
 * @typedef {{ type: 'same'|'add'|'del'|'hunk'|'meta', oldNo: number|null, newNo: number|null, text: string }} Row
 */

/**
 * @typedef {{ oldPath: string|null, newPath: string|null, meta: string[], rows: Row[] }} FileDiff
 */

const CONTEXT = 3;

/** @param {string} line */
const bare = (line) => line.replace(/\r?\n$/, '');

/**
 * The rows of the difference between two texts, as hunks with three lines of context.
 * @param {string} oldText
 * @param {string} newText
 * @returns {Row[]}
 */
export function textRows(oldText, newText) {
  const a = splitText(oldText);
  const b = splitText(newText);
  /** @type {Row[]} */
  const rows = [];
  for (const group of groupHunks(diffLines(a, b), CONTEXT)) {
    const first = /** @type {import('#text-diff').LineChange} */ (group[0]);
    const last = /** @type {import('#text-diff').LineChange} */ (group[group.length - 1]);
    const aStart = Math.max(0, first.aStart - CONTEXT);
    const aEnd = Math.min(a.length, last.aEnd + CONTEXT);
    const bStart = first.bStart - (first.aStart - aStart);
    const bEnd = last.bEnd + (aEnd - last.aEnd);
    rows.push({ type: 'hunk', oldNo: null, newNo: null, text: `@@ -${aStart + 1},${aEnd - aStart} +${bStart + 1},${bEnd - bStart} @@` });
    let i = aStart;
    let j = bStart;
    /** @param {number} until */
    const same = (until) => {
      for (; i < until; i++, j++) rows.push({ type: 'same', oldNo: i + 1, newNo: j + 1, text: bare(/** @type {string} */ (a[i])) });
    };
    for (const c of group) {
      same(c.aStart);
      for (; i < c.aEnd; i++) rows.push({ type: 'del', oldNo: i + 1, newNo: null, text: bare(/** @type {string} */ (a[i])) });
      for (; j < c.bEnd; j++) rows.push({ type: 'add', oldNo: null, newNo: j + 1, text: bare(/** @type {string} */ (b[j])) });
    }
    same(aEnd);
  }
  return rows;
}

/**
 * Counts of added and removed lines.
 * @param {Row[]} rows
 */
export function stats(rows) {
  return { added: rows.filter((r) => r.type === 'add').length, removed: rows.filter((r) => r.type === 'del').length };
}

/**
 * The files of a unified diff as git prints it (text/x-diff from the compare endpoint), with
 * each line's numbers on both sides taken from the hunk headers.
 * @param {string} text
 * @returns {FileDiff[]}
 */
export function parseUnified(text) {
  /** @type {FileDiff[]} */
  const files = [];
  /** @type {FileDiff|null} */
  let file = null;
  let inHunk = false;
  let oldNo = 0;
  let newNo = 0;
  for (const raw of splitText(text)) {
    const line = bare(raw);
    if (line.startsWith('diff --git ')) {
      const m = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
      file = { oldPath: m ? /** @type {string} */ (m[1]) : null, newPath: m ? /** @type {string} */ (m[2]) : null, meta: [], rows: [] };
      files.push(file);
      inHunk = false;
      continue;
    }
    if (file === null) continue;
    const header = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    // git ends a name that has a space with a tab, so that the name's end is plain to see.
    if (!inHunk && line.startsWith('--- ')) file.oldPath = line === '--- /dev/null' ? null : line.replace(/^--- a\//, '').replace(/\t$/, '');
    else if (!inHunk && line.startsWith('+++ ')) file.newPath = line === '+++ /dev/null' ? null : line.replace(/^\+\+\+ b\//, '').replace(/\t$/, '');
    else if (header) {
      inHunk = true;
      oldNo = Number(header[1]);
      newNo = Number(header[2]);
      file.rows.push({ type: 'hunk', oldNo: null, newNo: null, text: line });
    } else if (inHunk && line.startsWith('+')) file.rows.push({ type: 'add', oldNo: null, newNo: newNo++, text: line.slice(1) });
    else if (inHunk && line.startsWith('-')) file.rows.push({ type: 'del', oldNo: oldNo++, newNo: null, text: line.slice(1) });
    else if (inHunk && line.startsWith(' ')) file.rows.push({ type: 'same', oldNo: oldNo++, newNo: newNo++, text: line.slice(1) });
    else if (line.startsWith('\\')) continue;
    else if (!inHunk) file.meta.push(line);
  }
  return files;
}

/**
 * The file diffs at `path` or below it ("" keeps all).
 * @param {FileDiff[]} files
 * @param {string} path
 */
export function underPath(files, path) {
  if (path === '') return files;
  /** @param {string|null} p */
  const inside = (p) => p !== null && (p === path || p.startsWith(`${path}/`));
  return files.filter((f) => inside(f.oldPath) || inside(f.newPath));
}

/**
 * The three-way merge of two edits of one text, as regions (see text-diff.js): resolved
 * stretches, and conflicts with what base, ours and theirs have there.
 * @param {string} baseText
 * @param {string} oursText
 * @param {string} theirsText
 */
export function mergeTexts(baseText, oursText, theirsText) {
  return mergeRegions(splitText(baseText), splitText(oursText), splitText(theirsText));
}
