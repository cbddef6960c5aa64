/**
 * Settling conflicts by hand, as GitHub lets authors do in the browser. A text file's three-way
 * merge comes as regions (text-diff.js: the server's own rule, whether the server or this tab ran
 * it): stretches that merged cleanly are folded away, and each conflict shows what ours and theirs
 * have there, changed words marked, with what the common base had one click away, and a choice:
 * keep ours, keep theirs, keep both, or edit. Other conflicts (a binary file, a file deleted on one
 * side) take one side's version or no file.
 */
import { h, uid } from '../dom.js';
import { wordMarks } from '../diff-view.js';

/** @typedef {import('#text-diff').MergeRegion} MergeRegion */
/** @typedef {{ ours: string, theirs: string }} Labels */

/**
 * Lines of one side of a conflict, the words that differ from the other side marked.
 * @param {string[]} lines
 * @param {string[]} other
 * @param {'add'|'del'} side how the marks read: 'del' for ours, 'add' for theirs
 */
function sideLines(lines, other, side) {
  const pre = h('pre', { class: 'conflict-side-text', tabindex: '0' });
  if (lines.length === 0) pre.appendChild(h('span', { class: 'muted' }, '(nothing: these lines were removed)'));
  lines.forEach((line, i) => {
    const text = line.replace(/\r?\n$/, '');
    const partner = other[i];
    const marks = partner === undefined ? null : wordMarks(text, partner.replace(/\r?\n$/, ''), side);
    pre.appendChild(h('span', { class: 'conflict-line' }, marks ?? text));
  });
  return pre;
}

/**
 * The resolver of one text file.
 * @param {{ path: string, regions: MergeRegion[], labels: Labels }} opts
 * @returns {{ node: HTMLElement, value: () => string|null, pending: () => number }}
 */
export function textResolver({ path, regions, labels }) {
  const total = regions.filter((r) => r.kind === 'conflict').length;
  /** @type {Array<() => string[]|null>} */
  const parts = [];
  const node = h('div', { class: 'resolver' });
  let number = 0;
  let oursLine = 1;
  regions.forEach((region, index) => {
    const last = index === regions.length - 1;
    if (region.kind === 'resolved') {
      const lines = region.lines;
      oursLine += lines.length;
      parts.push(() => lines);
      node.appendChild(
        h('details', { class: 'resolved-lines' }, h('summary', {}, `${lines.length} ${lines.length === 1 ? 'line' : 'lines'} merged without conflict`), h('pre', { class: 'source' }, lines.join(''))),
      );
      return;
    }
    number++;
    const at = oursLine;
    oursLine += region.ours.length;
    const name = uid('choice');
    const editor = h('textarea', { class: 'editor small', rows: String(Math.min(12, region.ours.length + region.theirs.length + 1)), 'aria-label': `Your text for conflict ${number} in ${path}`, hidden: true, spellcheck: 'true' });
    editor.value = [...region.ours, ...region.theirs].join('');
    /** @type {string|null} */
    let choice = null;
    const options = /** @type {Array<[string, string]>} */ ([
      ['ours', `Keep ${labels.ours}`],
      ['theirs', `Keep ${labels.theirs}`],
      ['both', 'Keep both (theirs after)'],
      ['edit', 'Edit'],
    ]).map(([value, label]) =>
      h(
        'label',
        { class: 'choice' },
        h('input', {
          type: 'radio',
          name,
          value,
          onchange: () => {
            choice = value;
            editor.hidden = value !== 'edit';
            fieldset.classList.add('chosen');
          },
        }),
        ' ',
        label,
      ),
    );
    const fieldset = h(
      'fieldset',
      { class: 'conflict-hunk', 'data-conflict': String(number) },
      h('legend', {}, `Conflict ${number} of ${total} in ${path}, at line ${at}`),
      h(
        'div',
        { class: 'three-way' },
        h('section', { class: 'conflict-side ours', 'aria-label': labels.ours }, h('h4', {}, labels.ours), sideLines(region.ours, region.theirs, 'del')),
        h('section', { class: 'conflict-side theirs', 'aria-label': labels.theirs }, h('h4', {}, labels.theirs), sideLines(region.theirs, region.ours, 'add')),
      ),
      h('details', { class: 'conflict-base' }, h('summary', {}, 'What it was before both changes (the common base)'), h('pre', { class: 'source' }, region.base.length === 0 ? '(nothing)' : region.base.join(''))),
      h('div', { class: 'choices' }, options),
      editor,
    );
    node.appendChild(fieldset);
    parts.push(() => {
      if (choice === 'ours') return region.ours;
      if (choice === 'theirs') return region.theirs;
      if (choice === 'both') return [...region.ours, ...region.theirs];
      if (choice === 'edit') {
        const text = editor.value;
        return [text !== '' && !last && !text.endsWith('\n') ? `${text}\n` : text];
      }
      return null;
    });
  });
  return {
    node,
    value: () => {
      const chosen = parts.map((part) => part());
      return chosen.some((p) => p === null) ? null : chosen.flatMap((p) => /** @type {string[]} */ (p)).join('');
    },
    pending: () => parts.filter((part) => part() === null).length,
  };
}

/**
 * A whole-file choice for a conflict that is not two texts to combine.
 * @param {{ path: string, hasOurs: boolean, hasTheirs: boolean, labels: Labels }} opts
 * @returns {{ node: HTMLElement, value: () => { take: 'ours'|'theirs' } | { delete: true } | null }}
 */
export function fileChoice({ path, hasOurs, hasTheirs, labels }) {
  const name = uid('file-choice');
  /** @type {{ take: 'ours'|'theirs' } | { delete: true } | null} */
  let chosen = null;
  /**
   * @param {string} label
   * @param {{ take: 'ours'|'theirs' } | { delete: true }} resolution
   */
  const option = (label, resolution) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name, onchange: () => (chosen = resolution) }), ' ', label);
  const node = h(
    'fieldset',
    { class: 'conflict-hunk' },
    h('legend', {}, `What ${path} should be after the merge`),
    h(
      'div',
      { class: 'choices' },
      hasOurs ? option(`Keep ${labels.ours}`, { take: 'ours' }) : null,
      hasTheirs ? option(`Keep ${labels.theirs}`, { take: 'theirs' }) : null,
      option('Delete the file', { delete: true }),
    ),
  );
  return { node, value: () => chosen };
}
