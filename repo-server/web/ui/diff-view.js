/**
 * Diffs on screen: one block per file, each line an <ins>, <del> or plain line with its +/-
 * sign kept in the text, so the change is clear without colour and to screen readers.
 */
import { h } from './dom.js';
import { hunks, lineDiff, stats } from './diff.js';

const SIGN = { add: '+', del: '-', same: ' ' };

/** @param {Array<{ type: string, text: string }>} lines */
function body(lines) {
  const pre = h('pre', { class: 'diff-body' });
  for (const line of lines) {
    // One block per line (no "\n" inside: with display:block it would add an empty line).
    const text = line.type in SIGN ? `${SIGN[line.type]}${line.text}` : line.text;
    const tag = line.type === 'add' ? 'ins' : line.type === 'del' ? 'del' : 'span';
    pre.appendChild(h(tag, { class: `diff-line diff-${line.type}` }, text));
  }
  return pre;
}

function summary(lines) {
  const { added, removed } = stats(lines);
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
  const ops = lineDiff(oldText, newText);
  const groups = hunks(ops);
  const section = h('section', { class: 'diff', 'aria-label': labels.title });
  section.appendChild(h('p', { class: 'diff-legend' }, h('del', {}, `- ${labels.oldLabel}`), ' ', h('ins', {}, `+ ${labels.newLabel}`)));
  if (groups.length === 0) {
    section.appendChild(h('p', {}, 'No differences.'));
    return section;
  }
  section.appendChild(summary(ops));
  const lines = groups.flatMap((g) => [{ type: 'hunk', text: `@@ -${g.oldStart},${g.oldCount} +${g.newStart},${g.newCount} @@` }, ...g.lines]);
  section.appendChild(body(lines));
  return section;
}

/**
 * Diffs of several files, as parsed from a unified diff.
 * @param {import('./diff.js').FileDiff[]} files
 */
export function filesDiff(files) {
  const wrap = h('div', { class: 'diffs' });
  if (files.length === 0) wrap.appendChild(h('p', {}, 'No differences.'));
  for (const file of files) {
    const name = file.newPath ?? file.oldPath ?? '(unknown)';
    const status = file.oldPath === null ? ' (added)' : file.newPath === null ? ' (deleted)' : file.oldPath !== file.newPath ? ` (renamed from ${file.oldPath})` : '';
    // Object ids and modes ("index 2f06f85..8b4b19f 100644") say nothing to an author.
    const lines = file.lines.filter((l) => !(l.type === 'meta' && /^(index |old mode|new mode|new file mode|deleted file mode|similarity|rename )/.test(l.text)));
    wrap.appendChild(h('section', { class: 'diff', 'aria-label': `Changes in ${name}` }, h('h3', { class: 'diff-file' }, name, status), summary(lines), body(lines)));
  }
  return wrap;
}
