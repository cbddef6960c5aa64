/**
 * Editing a file (or writing a new one) on a branch, with Edit and Preview tabs (Markdown and HTML
 * files), or both side by side on a wide screen, the preview following the typing. A save is
 * conditional on the version the edit started from (If-Match: "<blob id>", or If-None-Match: *
 * for a new file), so nobody's work is overwritten unseen: a 412 opens the conflict panel, whose
 * merge is the three-way merge of text-diff.js with every conflict settled in the resolver.
 */
import { h, field, short } from '../dom.js';
import * as api from '../api.js';
import { go, href } from '../router.js';
import { announce, flash } from '../notices.js';
import { mergeTexts } from '../diff.js';
import { baseName, decodeText, kindOf, parentOf } from '../files.js';
import { busy, describe, errorScreen, formError, pathCrumbs, title } from './parts.js';
import { conflictPanel } from './conflict.js';
import { cnxmlPreview, htmlPreview, markdownPreview } from './preview.js';
import { textResolver } from './resolver.js';

/** The current version of a file on a branch: blob id, text and who changed it last; null if absent. */
/**
 * @param {string} repo
 * @param {string} branch
 * @param {string} path
 * @returns {Promise<Version|null>}
 */
async function current(repo, branch, path) {
  try {
    const meta = await api.getFileMeta(repo, branch, path);
    const text = decodeText(await (await api.getFileBlob(repo, meta.commit, path)).arrayBuffer());
    return { id: meta.id, text: text ?? '', lastCommit: meta.lastCommit };
  } catch (err) {
    if (err instanceof api.ApiError && err.status === 404) return null;
    throw err;
  }
}

/** @typedef {{ id: string, text: string, lastCommit: any }} Version */

/** Unsaved text is not lost to a closed tab by accident. */
let dirtyCheck = () => false;
window.addEventListener('beforeunload', (e) => {
  if (dirtyCheck()) e.preventDefault();
});

/** Whether an editor on screen holds text that is not saved (the app asks before leaving it). */
export function hasUnsavedChanges() {
  return dirtyCheck();
}

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const branch = ctx.route.params.branch ?? ctx.defaultBranch;
  const isNew = ctx.route.params.new === '1';
  const startPath = ctx.route.params.path ?? '';
  const refParam = branch === ctx.defaultBranch ? undefined : branch;
  if (!ctx.empty && !ctx.branches.some((b) => b.name === branch)) {
    return { title: 'Not a branch', node: errorScreen(new Error(`${branch} is not a branch; only branches can be edited.`), { href: href('branches', ctx.repoName), label: 'See the branches' }) };
  }
  /** The version this edit started from; null for a new file. */
  /** @type {Version|null} */
  let base = null;
  if (!isNew) {
    base = await current(ctx.repoName, branch, startPath);
    if (base === null) return { title: 'Not found', node: errorScreen(new api.ApiError(404, { detail: `No file ${startPath} on ${branch}.` }), { href: href('tree', ctx.repoName, { ref: refParam }), label: 'Go to the files' }) };
  }
  /** The text the edit started from: the base of a merge, and what "unsaved changes" compare to. */
  let baseText = base?.text ?? '';
  /** Who moved the branch under this edit, from the live events (commits made through the API carry the service's name). */
  let mover = /** @type {string|null} */ (null);

  const pathInput = isNew ? h('input', { id: 'edit-path', value: startPath, required: true, spellcheck: 'false', autocomplete: 'off', class: 'wide' }) : null;
  const pathNow = () => (pathInput ? pathInput.value.trim().replace(/^\/+/, '') : startPath);
  const textarea = /** @type {HTMLTextAreaElement} */ (h('textarea', { id: 'edit-content', rows: '20', class: 'editor', spellcheck: 'true', 'aria-describedby': 'editor-shortcuts' }));
  textarea.value = baseText;
  const message = h('input', { id: 'edit-message', class: 'wide', placeholder: isNew ? 'Add a file' : `Update ${startPath}`, autocomplete: 'off' });
  const warning = h('div', { id: 'edit-warning' });
  const errors = h('div');
  const conflictArea = h('div', { class: 'conflict-area' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'save-button' }, 'Save');
  const unsaved = h('span', { id: 'unsaved-state', class: 'muted', 'aria-live': 'polite' });
  const views = editorViews(ctx, branch, pathNow, textarea, `Content${isNew ? '' : ` of ${startPath}`}`);
  pathInput?.addEventListener('input', () => views.arrange());
  // Ctrl+S / Cmd+S saves, as in every editor; Ctrl+Shift+P switches Edit and Preview, as on GitHub.
  const shortcuts = (/** @type {KeyboardEvent} */ e) => {
    if (!(e.ctrlKey || e.metaKey)) return;
    if (e.key.toLowerCase() === 's' && !e.shiftKey) {
      e.preventDefault();
      save.click();
    } else if (e.key.toLowerCase() === 'p' && e.shiftKey && views.canPreview()) {
      e.preventDefault();
      views.toggle();
    }
  };
  textarea.addEventListener('input', () => {
    unsaved.textContent = textarea.value === baseText ? '' : 'Unsaved changes';
  });
  const cancelHref = isNew ? href('tree', ctx.repoName, { ref: refParam, path: parentOf(startPath) || undefined }) : href('file', ctx.repoName, { ref: refParam, path: startPath });
  dirtyCheck = () => textarea.isConnected && textarea.value !== baseText;


  /** @param {string|null|undefined} expected blob id, or null: must not exist */
  const write = async (expected) => {
    const path = pathNow();
    if (path === '' || path.endsWith('/') || path.split('/').some((s) => s === '.' || s === '..' || s === '.git')) {
      formError(errors, 'Give the file a name, like chapters/intro.md (no empty, "." , ".." or ".git" parts).');
      pathInput?.focus();
      return;
    }
    formError(errors, '');
    try {
      const written = await api.putFile(ctx.repoName, { branch, path, content: textarea.value, message: message.value.trim() || message.placeholder, expected });
      ctx.ownChange(`refs/heads/${branch}`, written.commit);
      baseText = textarea.value;
      flash(`Saved ${path} on ${branch} as commit ${short(written.commit)}.`);
      go('file', ctx.repoName, { ref: refParam, path });
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 412) return showConflict(path);
      formError(errors, `Not saved: ${describe(err)}`);
    }
  };

  const showConflict = async (/** @type {string} */ path) => {
    const theirs = (await current(ctx.repoName, branch, path)) ?? { id: null, text: '', lastCommit: null };
    announce('Not saved: someone else changed this file. Compare the versions below and choose how to go on.', 'error');
    const mine = textarea.value;
    const panel = conflictPanel({
      path,
      branch,
      mine,
      theirs,
      actor: mover,
      onMerge: () => {
        const regions = mergeTexts(baseText, mine, theirs.text);
        const conflicts = regions.filter((r) => r.kind === 'conflict').length;
        if (conflicts === 0) {
          adopt(theirs);
          textarea.value = regions.flatMap((r) => (r.kind === 'resolved' ? r.lines : [])).join('');
          conflictArea.replaceChildren();
          announce('Your changes and theirs were merged without overlap. Review the text, then save.');
          textarea.focus();
          return;
        }
        showResolver(path, regions, theirs);
      },
      onOverwrite: () => {
        conflictArea.replaceChildren();
        adopt(theirs);
        // Still conditional, now on their version: a third save meanwhile is caught again.
        void busy(save, () => write(theirs.id));
      },
      onReload: () => {
        if (!window.confirm('Discard your changes and load their version?')) return;
        adopt(theirs);
        textarea.value = theirs.text;
        conflictArea.replaceChildren();
        announce('Their version is loaded; your changes were discarded.');
        textarea.focus();
      },
    });
    conflictArea.replaceChildren(panel);
    /** @type {HTMLElement} */ (panel.querySelector('#conflict-heading')).focus();
  };

  /**
   * Where both changed the same lines, the author settles each place; the result goes into the
   * text area, to read and save like any edit (conditional on their version).
   * @param {string} path
   * @param {import('#text-diff').MergeRegion[]} regions
   * @param {{ id: string|null, text: string, lastCommit: any }} theirs
   */
  const showResolver = (path, regions, theirs) => {
    const resolver = textResolver({ path, regions, labels: { ours: 'your version', theirs: 'their version' } });
    const problems = h('div');
    const use = h('button', { type: 'button', class: 'primary', id: 'use-resolution' }, 'Use this text');
    use.addEventListener('click', () => {
      const text = resolver.value();
      if (text === null) {
        formError(problems, `Choose what to keep at every conflict first (${resolver.pending()} still open).`);
        return;
      }
      adopt(theirs);
      textarea.value = text;
      conflictArea.replaceChildren();
      announce('The merged text is in the editor. Read it through, then save.');
      textarea.focus();
    });
    const count = regions.filter((r) => r.kind === 'conflict').length;
    conflictArea.replaceChildren(
      h(
        'section',
        { class: 'conflict', 'aria-labelledby': 'resolve-heading' },
        h('h2', { id: 'resolve-heading', tabindex: '-1' }, `Both changed the same lines: ${count} ${count === 1 ? 'place' : 'places'} to settle`),
        h('p', {}, 'Everything else is merged. For each place, keep your version, theirs, both, or write it anew.'),
        resolver.node,
        problems,
        h('div', { class: 'actions' }, use),
      ),
    );
    /** @type {HTMLElement} */ (conflictArea.querySelector('#resolve-heading')).focus();
    announce(`${count} ${count === 1 ? 'place was' : 'places were'} changed on both sides. Choose what to keep at each, then use the text.`);
  };

  /** The edit now starts from their version: the next save is conditional on it. */
  const adopt = (/** @type {{ id: string|null, text: string, lastCommit: any }} */ theirs) => {
    mover = null;
    baseText = theirs.text;
    base = theirs.id === null ? null : { id: theirs.id, text: theirs.text, lastCommit: theirs.lastCommit };
    warning.replaceChildren();
  };

  const form = h(
    'form',
    {
      class: 'editor-form',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        void busy(save, () => write(base === null ? null : base.id));
      },
    },
    pathInput ? field('File path', pathInput, 'Folders are made as needed, for example chapters/intro.md.') : null,
    views.node,
    field('Commit message', message, `Says what you changed and why; it is saved in the history of ${branch}.`),
    warning,
    errors,
    h('div', { class: 'actions' }, save, h('a', { class: 'button', href: cancelHref }, 'Cancel'), h('span', { class: 'muted' }, `Saving to branch ${branch}`), unsaved),
    h(
      'p',
      { class: 'shortcuts', id: 'editor-shortcuts' },
      'Keyboard: ',
      h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'S'), ' saves',
      views.canPreview() ? [' · ', h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'Shift'), '+', h('kbd', {}, 'P'), ' switches between Edit and Preview'] : null,
      ' · ', h('kbd', {}, 'Tab'), ' leaves the text (', h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'M'), ' in Chromium makes Tab type a tab).',
    ),
  );
  form.addEventListener('keydown', shortcuts);
  return {
    title: isNew ? 'New file' : `Edit ${startPath}`,
    node: h('div', {}, pathCrumbs(ctx, isNew ? parentOf(startPath) : startPath), title(isNew ? 'New file' : `Edit ${baseName(startPath)}`), conflictArea, form),
    /** Never redrawn under the author's hands: a warning says the file changed, the save will tell. */
    onRefUpdate: (/** @type {{ ref: string, actor: string }} */ ev) => {
      if (ev.ref !== `refs/heads/${branch}` || base === null || !textarea.isConnected) return true;
      void current(ctx.repoName, branch, pathNow()).then((now) => {
        if (now !== null && base !== null && now.id === base.id) return;
        mover = ev.actor;
        warning.replaceChildren(
          h('p', { class: 'warning' }, now === null ? `${ev.actor} deleted this file on ${branch}. ` : `${ev.actor} saved a newer version of this file on ${branch}. `, 'When you save, you will see both versions and can merge them.'),
        );
      });
      return true;
    },
  };
}

const SIDE_BY_SIDE_KEY = 'content-repo.side-by-side';
/** Wide enough for two readable columns. */
const WIDE = window.matchMedia('(min-width: 1100px)');

/**
 * The text area and its preview: Edit and Preview tabs (ARIA tabs: arrow keys move between them),
 * or both side by side on a wide screen, where the preview follows the typing.
 * @param {import('./layout.js').RepoContext} ctx
 * @param {string} branch
 * @param {() => string} pathNow
 * @param {HTMLTextAreaElement} textarea
 * @param {string} labelText
 */
function editorViews(ctx, branch, pathNow, textarea, labelText) {
  const label = h('label', { for: 'edit-content', class: 'editor-label' }, labelText);
  const previewBox = h('div', { class: 'preview-box', id: 'preview-content' });
  const editTab = h('button', { type: 'button', role: 'tab', id: 'tab-edit', 'aria-controls': 'panel-edit', 'aria-selected': 'true' }, 'Edit');
  const previewTab = h('button', { type: 'button', role: 'tab', id: 'tab-preview', 'aria-controls': 'panel-preview', 'aria-selected': 'false', tabindex: '-1' }, 'Preview');
  const editPanel = h('div', { role: 'tabpanel', id: 'panel-edit', 'aria-labelledby': 'tab-edit', class: 'editor-pane' }, textarea);
  const previewPanel = h('div', { role: 'tabpanel', id: 'panel-preview', 'aria-labelledby': 'tab-preview', class: 'editor-pane preview-pane', hidden: true, tabindex: '0' }, previewBox);
  const sideBySide = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', id: 'side-by-side', checked: localStorage.getItem(SIDE_BY_SIDE_KEY) === '1' }));
  const sideField = h('div', { class: 'field inline side-by-side-field' }, sideBySide, h('label', { for: 'side-by-side' }, 'Side by side (the preview follows your typing)'));
  const tabs = h('div', { role: 'tablist', 'aria-label': 'Editor view', class: 'editor-tabs' }, editTab, previewTab);
  const panes = h('div', { class: 'editor-panes' }, editPanel, previewPanel);
  const canPreview = () => ['markdown', 'html', 'cnxml'].includes(kindOf(pathNow()));
  let drawn = -1;
  let ticket = 0;
  const drawPreview = async () => {
    const mine = ++ticket;
    const text = textarea.value;
    const path = pathNow();
    const kind = kindOf(path);
    const where = { repoName: ctx.repoName, ref: branch };
    const node = kind === 'html' ? htmlPreview(path, text) : kind === 'cnxml' ? cnxmlPreview(where, path, text) : await markdownPreview(where, path, text);
    if (mine !== ticket) return;
    previewBox.replaceChildren(text.trim() === '' ? h('p', { class: 'empty' }, 'Nothing to preview yet.') : node);
    drawn = text.length;
  };
  /** @param {'edit'|'preview'} which */
  const select = (which) => {
    const preview = which === 'preview';
    editTab.setAttribute('aria-selected', String(!preview));
    previewTab.setAttribute('aria-selected', String(preview));
    editTab.setAttribute('tabindex', preview ? '-1' : '0');
    previewTab.setAttribute('tabindex', preview ? '0' : '-1');
    editPanel.hidden = preview;
    previewPanel.hidden = !preview;
    if (preview) void drawPreview();
  };
  const sideways = () => WIDE.matches && sideBySide.checked && canPreview();
  const arrange = () => {
    const both = sideways();
    panes.classList.toggle('side-by-side', both);
    tabs.hidden = both || !canPreview();
    sideField.hidden = !WIDE.matches || !canPreview();
    if (both) {
      editPanel.hidden = false;
      previewPanel.hidden = false;
      void drawPreview();
    } else select(previewTab.getAttribute('aria-selected') === 'true' && canPreview() ? 'preview' : 'edit');
  };
  editTab.addEventListener('click', () => select('edit'));
  previewTab.addEventListener('click', () => select('preview'));
  tabs.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    const next = document.activeElement === editTab ? previewTab : editTab;
    next.focus();
    next.click();
  });
  sideBySide.addEventListener('change', () => {
    localStorage.setItem(SIDE_BY_SIDE_KEY, sideBySide.checked ? '1' : '0');
    arrange();
  });
  WIDE.addEventListener('change', arrange);
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let typing;
  textarea.addEventListener('input', () => {
    if (!sideways()) return;
    clearTimeout(typing);
    typing = setTimeout(() => void drawPreview(), 250);
  });
  arrange();
  return {
    node: h('div', { class: 'editor-views field' }, label, h('div', { class: 'editor-bar' }, tabs, sideField), panes),
    canPreview,
    arrange,
    /** Edit <-> Preview, focus following (the shortcut). */
    toggle: () => {
      if (sideways()) return;
      const toPreview = editPanel.hidden === false;
      select(toPreview ? 'preview' : 'edit');
      (toPreview ? previewTab : textarea).focus();
    },
    /** Whether the preview on screen is of the current text (tests and the shortcut use it). */
    fresh: () => drawn === textarea.value.length,
  };
}
