/**
 * What a 412 on save means for an author: someone else saved this file first. Shows who, the
 * line diff between their version and yours, and the three ways on: merge yours into theirs,
 * overwrite theirs (still conditional on their version), or reload theirs. Who saved is the
 * actor of the live event when the editor heard it, else the commit's author.
 */
import { h, subject, time } from '../dom.js';
import { textDiff } from '../diff-view.js';

/**
 * @param {{
 *   path: string, branch: string, mine: string, actor: string|null,
 *   theirs: { id: string|null, text: string, lastCommit: any },
 *   onMerge: () => void, onOverwrite: () => void, onReload: () => void
 * }} c
 */
export function conflictPanel(c) {
  const deleted = c.theirs.id === null;
  const who = c.theirs.lastCommit;
  const explanation = deleted
    ? h('p', {}, `While you were editing, ${c.path} was deleted from ${c.branch}. Your text is not saved yet; it is still in the editor.`)
    : h(
        'p',
        {},
        'While you were editing, ',
        who ? [h('strong', {}, c.actor ?? who.author.name), ' saved a new version on ', time(who.author.timestamp), ' (', h('q', {}, subject(who.message)), ')'] : 'someone saved a new version',
        `. Your text is not saved yet; it is still in the editor.`,
      );
  const heading = h('h2', { id: 'conflict-heading', tabindex: '-1' }, deleted ? 'Someone else deleted this file' : 'Someone else changed this file');
  return h(
    'section',
    { class: 'conflict', 'aria-labelledby': 'conflict-heading' },
    heading,
    explanation,
    h('h3', {}, deleted ? 'Your version' : 'Their version compared with yours'),
    textDiff(c.theirs.text, c.mine, { title: 'Their version compared with yours', oldLabel: deleted ? 'nothing (deleted)' : 'their version', newLabel: 'your version' }),
    h(
      'div',
      { class: 'actions' },
      deleted ? null : h('button', { type: 'button', class: 'primary', onclick: c.onMerge }, 'Merge my changes into theirs'),
      h('button', { type: 'button', onclick: c.onOverwrite }, deleted ? 'Save mine as a new file' : 'Overwrite with my version'),
      h('button', { type: 'button', onclick: c.onReload }, deleted ? 'Discard my changes' : 'Reload their version (discard mine)'),
    ),
  );
}
