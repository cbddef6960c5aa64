/**
 * The history of a file or folder at a ref (newest first, page by page), each version's changes
 * on demand, and the difference between any two versions.
 */
import { h, short, subject, time, uid } from '../dom.js';
import * as api from '../api.js';
import { href } from '../router.js';
import { baseName } from '../files.js';
import { filesDiff, textDiff } from '../diff-view.js';
import { parseUnified, underPath } from '../diff.js';
import { busy, describe, pathCrumbs, title } from './parts.js';

const PAGE = 20;

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const path = ctx.route.params.path ?? '';
  const heading = path === '' ? `History of ${ctx.ref}` : `History of ${baseName(path)}`;
  if (ctx.empty) return { title: heading, node: h('div', {}, title(heading), h('p', { class: 'empty' }, 'Nothing has been saved yet.')) };
  const [page, kind] = await Promise.all([api.history(ctx.repoName, { ref: ctx.ref, path: path || undefined, perPage: PAGE }), kindAt(ctx, path)]);
  const diffs = new Diffs(ctx, path, kind);
  const list = h('ol', { class: 'history', 'aria-label': 'Versions, newest first' });
  const more = h('div', { class: 'actions' });
  const addPage = (/** @type {{ commits: any[], next: string|null }} */ p) => {
    for (const commit of p.commits) list.appendChild(entry(ctx, commit, diffs, list.children.length));
    more.replaceChildren();
    if (p.next !== null) {
      const button = h('button', { type: 'button' }, 'Show older versions');
      button.addEventListener('click', () =>
        busy(button, async () => {
          const firstNew = list.children.length;
          addPage(await api.history(ctx.repoName, { ref: ctx.ref, path: path || undefined, perPage: PAGE, cursor: p.next ?? undefined }));
          /** @type {HTMLElement|undefined} */ (list.children[firstNew]?.querySelector('a'))?.focus();
        }),
      );
      more.appendChild(button);
    }
  };
  addPage(page);
  const result = h('div', { class: 'compare-result', id: 'history-compare-result' });
  const compareButton = h('button', { type: 'button', id: 'compare-versions' }, 'Compare the selected versions');
  compareButton.addEventListener('click', () =>
    busy(compareButton, async () => {
      const from = /** @type {HTMLInputElement|null} */ (list.querySelector('input[name="from"]:checked'))?.value;
      const to = /** @type {HTMLInputElement|null} */ (list.querySelector('input[name="to"]:checked'))?.value;
      if (!from || !to || from === to) {
        result.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, 'Choose two different versions: one under "From", one under "To".'));
        return;
      }
      result.replaceChildren(h('h2', { id: 'compare-heading', tabindex: '-1' }, `Changes from ${short(from)} to ${short(to)}`), await diffs.between(from, to, `${short(from)}`, `${short(to)}`));
      /** @type {HTMLElement} */ (result.querySelector('#compare-heading')).focus();
    }),
  );
  const count = page.commits.length;
  return {
    title: path === '' ? `History of ${ctx.ref}` : `History of ${path}`,
    node: h(
      'div',
      {},
      path === '' ? null : pathCrumbs(ctx, path),
      title(heading),
      h('p', { class: 'muted' }, `On ${ctx.ref}. Choose "Show changes" to see what a version changed, or pick two versions and compare them.`),
      count === 0 ? h('p', { class: 'empty' }, 'No versions changed this path.') : [list, more, count > 1 ? h('div', { class: 'actions' }, compareButton) : null, result],
    ),
  };
}

/** Whether the path is a file, a folder, or no longer exists at the ref (deleted). */
/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {string} path
 */
async function kindAt(ctx, path) {
  if (path === '') return 'folder';
  try {
    return (await api.getFolder(ctx.repoName, ctx.ref, path)).type === 'folder' ? 'folder' : 'file';
  } catch {
    return 'gone';
  }
}

/** Differences between versions: a client-side line diff for a file, the server's for a folder. */
class Diffs {
  /**
   * @param {import('./layout.js').RepoContext} ctx
   * @param {string} path
   * @param {string} kind
   */
  constructor(ctx, path, kind) {
    this.ctx = ctx;
    this.path = path;
    this.kind = kind;
  }

  /** @param {string} commit */
  async textAt(commit) {
    try {
      return await (await api.getFileBlob(this.ctx.repoName, commit, this.path)).text();
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 404) return '';
      throw err;
    }
  }

  /** From `from` to `to`; `from` null: the very first version. */
  /**
   * @param {string|null} from
   * @param {string} to
   * @param {string} fromLabel
   * @param {string} toLabel
   */
  async between(from, to, fromLabel, toLabel) {
    try {
      if (this.kind === 'file') {
        const [before, after] = await Promise.all([from === null ? '' : this.textAt(from), this.textAt(to)]);
        return textDiff(before, after, { title: `Changes to ${this.path}`, oldLabel: fromLabel, newLabel: toLabel });
      }
      if (from === null) return h('p', {}, 'This is the first version: everything in it was added.');
      return filesDiff(underPath(parseUnified(await api.compareDiff(this.ctx.repoName, from, to)), this.path));
    } catch (err) {
      return h('p', { class: 'form-error' }, `Could not load the changes: ${describe(err)}`);
    }
  }
}

/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {any} commit
 * @param {Diffs} diffs
 * @param {number} index
 */
function entry(ctx, commit, diffs, index) {
  const panelId = uid('changes');
  const panel = h('div', { id: panelId, class: 'changes', hidden: true });
  const toggle = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-controls': panelId }, 'Show changes');
  toggle.addEventListener('click', () =>
    busy(toggle, async () => {
      const open = toggle.getAttribute('aria-expanded') === 'true';
      if (!open && panel.childElementCount === 0) {
        const parent = commit.parents[0] ?? null;
        panel.appendChild(await diffs.between(parent, commit.id, parent === null ? 'nothing' : `before (${short(parent)})`, `this version (${short(commit.id)})`));
      }
      toggle.setAttribute('aria-expanded', String(!open));
      toggle.textContent = open ? 'Show changes' : 'Hide changes';
      panel.hidden = open;
    }),
  );
  const label = subject(commit.message);
  const radio = (/** @type {string} */ name, /** @type {boolean} */ checked) =>
    h('label', { class: 'pick' }, h('input', { type: 'radio', name, value: commit.id, checked, 'aria-label': `${name === 'from' ? 'Compare from' : 'Compare to'} ${short(commit.id)}: ${label}` }), name === 'from' ? 'From' : 'To');
  return h(
    'li',
    { class: 'version' },
    h(
      'div',
      { class: 'version-head' },
      h('span', { class: 'picks' }, radio('from', index === 1), radio('to', index === 0)),
      h('a', { href: href('commit', ctx.repoName, { id: commit.id }) }, label || '(no message)'),
      h('span', { class: 'muted' }, ' by ', commit.author.name, ', ', time(commit.author.timestamp), ' · ', h('code', {}, short(commit.id))),
      toggle,
    ),
    panel,
  );
}
