/**
 * Diffs on screen: a table per file with both line numbers, unified (one column of lines) or
 * split (old left, new right). Each line is an <ins>, <del> or plain line whose +/- sign is
 * part of its text, so the change is clear without colour and to screen readers. Inside a
 * changed line, the words that changed are marked (jsdiff's word diff against the line it
 * replaced): a one-word edit in a long paragraph shows as that word, not as the paragraph.
 */
import { diffWordsWithSpace } from 'diff';
import { h } from './dom.js';
import { stats, textRows } from './diff.js';

/** @typedef {import('./diff.js').Row} Row */

const SIGN = { add: '+', del: '-', same: ' ' };
const LAYOUT_KEY = 'content-repo.diff-layout';
/** Longer lines are not word-diffed: the cost grows with the product of their lengths. */
const MAX_WORD_DIFF = 10_000;

/** @returns {'unified'|'split'} */
function layout() {
  return localStorage.getItem(LAYOUT_KEY) === 'split' ? 'split' : 'unified';
}

/**
 * The words of `text` that differ from `other`, as text and <mark> nodes; null when the two
 * lines share too little for a word highlight to help (then the whole line is the change).
 * @param {string} text
 * @param {string} other the line it replaced or that replaced it
 * @param {'add'|'del'} side
 * @returns {Array<Node|string>|null}
 */
export function wordMarks(text, other, side) {
  if (text.length + other.length > MAX_WORD_DIFF) return null;
  const parts = side === 'add' ? diffWordsWithSpace(other, text) : diffWordsWithSpace(text, other);
  const kept = parts.filter((p) => !p.added && !p.removed).reduce((n, p) => n + p.value.trim().length, 0);
  if (kept < Math.min(text.trim().length, other.trim().length) / 3) return null;
  /** @type {Array<Node|string>} */
  const out = [];
  for (const p of parts) {
    if (side === 'add' ? p.removed : p.added) continue;
    out.push((side === 'add' ? p.added : p.removed) ? h('mark', { class: `word-${side}` }, p.value) : p.value);
  }
  return out;
}

/**
 * Each changed row's partner: the i-th removed line of a block of changes with its i-th added line.
 * @param {Row[]} rows
 * @returns {Map<Row, Row>}
 */
function partners(rows) {
  /** @type {Map<Row, Row>} */
  const pairs = new Map();
  let i = 0;
  while (i < rows.length) {
    if (rows[i]?.type !== 'del' && rows[i]?.type !== 'add') {
      i++;
      continue;
    }
    const dels = [];
    const adds = [];
    for (; rows[i]?.type === 'del'; i++) dels.push(/** @type {Row} */ (rows[i]));
    for (; rows[i]?.type === 'add'; i++) adds.push(/** @type {Row} */ (rows[i]));
    for (let k = 0; k < Math.min(dels.length, adds.length); k++) {
      pairs.set(/** @type {Row} */ (dels[k]), /** @type {Row} */ (adds[k]));
      pairs.set(/** @type {Row} */ (adds[k]), /** @type {Row} */ (dels[k]));
    }
  }
  return pairs;
}

/**
 * @param {Row} row
 * @param {Map<Row, Row>} pairs
 */
function lineCell(row, pairs) {
  if (row.type === 'hunk' || row.type === 'meta') return h('span', { class: `diff-line diff-${row.type}` }, row.text);
  const sign = SIGN[row.type];
  const partner = pairs.get(row);
  const marks = partner !== undefined && row.type !== 'same' ? wordMarks(row.text, partner.text, row.type) : null;
  const tag = row.type === 'add' ? 'ins' : row.type === 'del' ? 'del' : 'span';
  return h(tag, { class: `diff-line diff-${row.type}` }, sign, marks ?? row.text);
}

/** @param {number|null} n */
const lineNo = (n) => h('td', { class: 'ln' }, n === null ? '' : String(n));

/**
 * @param {Row[]} rows
 * @param {Map<Row, Row>} pairs
 */
function unifiedTable(rows, pairs) {
  const body = h('tbody');
  for (const row of rows) {
    if (row.type === 'hunk') body.appendChild(h('tr', { class: 'diff-hunk-row' }, h('td', { colspan: '3' }, lineCell(row, pairs))));
    else body.appendChild(h('tr', { class: `diff-row-${row.type}` }, lineNo(row.oldNo), lineNo(row.newNo), h('td', { class: 'code' }, lineCell(row, pairs))));
  }
  // Column widths by <col>: a fixed layout takes them from the first row, which may be a hunk header.
  const cols = h('colgroup', {}, h('col', { class: 'ln-col' }), h('col', { class: 'ln-col' }), h('col'));
  return h('table', { class: 'diff-table unified' }, cols, h('thead', { class: 'visually-hidden' }, h('tr', {}, h('th', { scope: 'col' }, 'Old line'), h('th', { scope: 'col' }, 'New line'), h('th', { scope: 'col' }, 'Text'))), body);
}

/**
 * @param {Row[]} rows
 * @param {Map<Row, Row>} pairs
 */
function splitTable(rows, pairs) {
  const body = h('tbody');
  /** @param {Row|undefined} row */
  const side = (row) => (row === undefined ? [h('td', { class: 'ln' }), h('td', { class: 'code empty' })] : [lineNo(row.type === 'add' ? row.newNo : row.oldNo), h('td', { class: 'code' }, lineCell(row, pairs))]);
  let i = 0;
  while (i < rows.length) {
    const row = /** @type {Row} */ (rows[i]);
    if (row.type === 'hunk' || row.type === 'meta') {
      body.appendChild(h('tr', { class: 'diff-hunk-row' }, h('td', { colspan: '4' }, lineCell(row, pairs))));
      i++;
    } else if (row.type === 'same') {
      body.appendChild(h('tr', { class: 'diff-row-same' }, lineNo(row.oldNo), h('td', { class: 'code' }, lineCell(row, pairs)), lineNo(row.newNo), h('td', { class: 'code' }, lineCell(row, pairs))));
      i++;
    } else {
      const dels = [];
      const adds = [];
      for (; rows[i]?.type === 'del'; i++) dels.push(/** @type {Row} */ (rows[i]));
      for (; rows[i]?.type === 'add'; i++) adds.push(/** @type {Row} */ (rows[i]));
      for (let k = 0; k < Math.max(dels.length, adds.length); k++) body.appendChild(h('tr', { class: 'diff-row-change' }, side(dels[k]), side(adds[k])));
    }
  }
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Old line'), h('th', { scope: 'col' }, 'Before'), h('th', { scope: 'col' }, 'New line'), h('th', { scope: 'col' }, 'After'));
  const cols = h('colgroup', {}, h('col', { class: 'ln-col' }), h('col'), h('col', { class: 'ln-col' }), h('col'));
  return h('table', { class: 'diff-table split' }, cols, h('thead', { class: 'visually-hidden' }, head), body);
}

/**
 * A diff table in the layout the author chose last.
 * @param {Row[]} rows
 */
function table(rows) {
  const pairs = partners(rows);
  const wrap = h('div', { class: 'diff-scroll' }, layout() === 'split' ? splitTable(rows, pairs) : unifiedTable(rows, pairs));
  wrap.addEventListener('diff-layout', () => wrap.replaceChildren(layout() === 'split' ? splitTable(rows, pairs) : unifiedTable(rows, pairs)));
  return wrap;
}

/**
 * "Unified" and "Split" buttons that redraw every diff inside `scope`.
 * @param {HTMLElement} scope
 */
function layoutSwitch(scope) {
  const buttons = /** @type {Array<['unified'|'split', string]>} */ ([
    ['unified', 'Unified'],
    ['split', 'Split'],
  ]).map(([value, label]) => {
    const button = h('button', { type: 'button', class: 'toggle', 'aria-pressed': String(layout() === value), 'data-layout': value }, label);
    button.addEventListener('click', () => {
      localStorage.setItem(LAYOUT_KEY, value);
      for (const b of scope.querySelectorAll('button[data-layout]')) b.setAttribute('aria-pressed', String(b.getAttribute('data-layout') === value));
      for (const t of scope.querySelectorAll('.diff-scroll')) t.dispatchEvent(new Event('diff-layout'));
    });
    return button;
  });
  return h('div', { class: 'diff-layout', role: 'group', 'aria-label': 'Diff layout' }, buttons);
}

/** @param {Row[]} rows */
function summary(rows) {
  const { added, removed } = stats(rows);
  /** @param {number} n @param {string} word */
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return h('p', { class: 'diff-stats' }, `${plural(added, 'line')} added, ${plural(removed, 'line')} removed`);
}

/**
 * The difference between two texts of one file, as hunks with three lines of context.
 * @param {string} oldText
 * @param {string} newText
 * @param {{ title: string, oldLabel: string, newLabel: string }} labels
 */
export function textDiff(oldText, newText, labels) {
  const rows = textRows(oldText, newText);
  const section = h('section', { class: 'diff', 'aria-label': labels.title });
  section.appendChild(h('p', { class: 'diff-legend' }, h('del', {}, `- ${labels.oldLabel}`), ' ', h('ins', {}, `+ ${labels.newLabel}`)));
  if (rows.length === 0) {
    section.appendChild(h('p', {}, 'No differences.'));
    return section;
  }
  section.append(layoutSwitch(section), summary(rows), table(rows));
  return section;
}

/** Object ids and modes ("index 2f06f85..8b4b19f 100644") say nothing to an author. */
const QUIET_META = /^(index |old mode|new mode|new file mode|deleted file mode|similarity|rename )/;

/**
 * Diffs of several files, as parsed from a unified diff.
 * @param {import('./diff.js').FileDiff[]} files
 */
export function filesDiff(files) {
  const wrap = h('div', { class: 'diffs' });
  if (files.length === 0) {
    wrap.appendChild(h('p', {}, 'No differences.'));
    return wrap;
  }
  wrap.appendChild(layoutSwitch(wrap));
  for (const file of files) {
    const name = file.newPath ?? file.oldPath ?? '(unknown)';
    const status = file.oldPath === null ? ' (added)' : file.newPath === null ? ' (deleted)' : file.oldPath !== file.newPath ? ` (renamed from ${file.oldPath})` : '';
    const notes = file.meta.filter((m) => !QUIET_META.test(m)).map((m) => h('p', { class: 'diff-note' }, m));
    wrap.appendChild(h('section', { class: 'diff', 'aria-label': `Changes in ${name}` }, h('h3', { class: 'diff-file' }, name, status), summary(file.rows), notes, file.rows.length > 0 ? table(file.rows) : null));
  }
  return wrap;
}
