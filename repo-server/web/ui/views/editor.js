/**
 * Editing a file (or writing a new one) on a branch. A save is conditional on the version the
 * edit started from (If-Match: "<blob id>", or If-None-Match: * for a new file), so nobody's
 * work is overwritten unseen: a 412 opens the conflict panel instead.
 */
import { h, field, short } from '../dom.js';
import * as api from '../api.js';
import { go, href } from '../router.js';
import { announce, flash } from '../notices.js';
import { merge3 } from '../diff.js';
import { baseName, decodeText, parentOf } from '../files.js';
import { busy, describe, errorScreen, formError, pathCrumbs, title } from './parts.js';
import { conflictPanel } from './conflict.js';

const MARKERS = /^<{7} [^\n]*\n[\s\S]*?^={7}\n[\s\S]*?^>{7} /m;

/** The current version of a file on a branch: blob id, text and who changed it last; null if absent. */
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
  let base = null;
  if (!isNew) {
    base = await current(ctx.repoName, branch, startPath);
    if (base === null) return { title: 'Not found', node: errorScreen(new api.ApiError(404, { detail: `No file ${startPath} on ${branch}.` }), { href: href('tree', ctx.repoName, { ref: refParam }), label: 'Go to the files' }) };
  }
  /** The text the edit started from: the base of a merge, and what "unsaved changes" compare to. */
  let baseText = base?.text ?? '';
  let resolving = false;
  /** Who moved the branch under this edit, from the live events (commits made through the API carry the service's name). */
  let mover = /** @type {string|null} */ (null);

  const pathInput = isNew ? h('input', { id: 'edit-path', value: startPath, required: true, spellcheck: 'false', autocomplete: 'off', class: 'wide' }) : null;
  const textarea = h('textarea', { id: 'edit-content', rows: '20', class: 'editor', spellcheck: 'true' });
  textarea.value = baseText;
  const message = h('input', { id: 'edit-message', class: 'wide', placeholder: isNew ? 'Add a file' : `Update ${startPath}`, autocomplete: 'off' });
  const warning = h('div', { id: 'edit-warning' });
  const errors = h('div');
  const conflictArea = h('div', { class: 'conflict-area' });
  const save = h('button', { type: 'submit', class: 'primary', id: 'save-button' }, 'Save');
  // Ctrl+S / Cmd+S saves, as in every editor; the browser's "save page" would lose nothing but confuse.
  textarea.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      e.preventDefault();
      save.click();
    }
  });
  const cancelHref = isNew ? href('tree', ctx.repoName, { ref: refParam, path: parentOf(startPath) || undefined }) : href('file', ctx.repoName, { ref: refParam, path: startPath });
  dirtyCheck = () => textarea.isConnected && textarea.value !== baseText;

  const pathNow = () => (pathInput ? pathInput.value.trim().replace(/^\/+/, '') : startPath);

  /** @param {string|null|undefined} expected blob id, or null: must not exist */
  const write = async (expected) => {
    const path = pathNow();
    if (path === '' || path.endsWith('/') || path.split('/').some((s) => s === '.' || s === '..' || s === '.git')) {
      formError(errors, 'Give the file a name, like chapters/intro.md (no empty, "." , ".." or ".git" parts).');
      pathInput?.focus();
      return;
    }
    if (resolving && MARKERS.test(textarea.value)) {
      formError(errors, 'The text still has conflict markers (<<<<<<<, =======, >>>>>>>). Choose what to keep and remove the markers, then save.');
      textarea.focus();
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

  const showConflict = async (path) => {
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
        const merged = merge3(baseText, mine, theirs.text, { mine: 'yours', theirs: 'theirs (saved by someone else)' });
        adopt(theirs);
        textarea.value = merged.text;
        resolving = merged.conflicts > 0;
        conflictArea.replaceChildren();
        announce(
          merged.conflicts === 0
            ? 'Your changes and theirs were merged without overlap. Review the text, then save.'
            : `${merged.conflicts} ${merged.conflicts === 1 ? 'place was' : 'places were'} changed on both sides and ${merged.conflicts === 1 ? 'is' : 'are'} marked with <<<<<<< and >>>>>>>. Keep what you want, remove the markers, then save.`,
        );
        textarea.focus();
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

  /** The edit now starts from their version: the next save is conditional on it. */
  const adopt = (theirs) => {
    mover = null;
    baseText = theirs.text;
    base = theirs.id === null ? null : { id: theirs.id, text: theirs.text, lastCommit: theirs.lastCommit };
    warning.replaceChildren();
  };

  const form = h(
    'form',
    {
      class: 'editor-form',
      onsubmit: (e) => {
        e.preventDefault();
        void busy(save, () => write(base === null ? null : base.id));
      },
    },
    pathInput ? field('File path', pathInput, 'Folders are made as needed, for example chapters/intro.md.') : null,
    field(`Content${isNew ? '' : ` of ${startPath}`}`, textarea),
    field('Commit message', message, `Says what you changed and why; it is saved in the history of ${branch}.`),
    warning,
    errors,
    h('div', { class: 'actions' }, save, h('a', { class: 'button', href: cancelHref }, 'Cancel'), h('span', { class: 'muted' }, `Saving to branch ${branch} (Ctrl+S)`)),
  );
  return {
    title: isNew ? 'New file' : `Edit ${startPath}`,
    node: h('div', {}, pathCrumbs(ctx, isNew ? parentOf(startPath) : startPath), title(isNew ? 'New file' : `Edit ${baseName(startPath)}`), conflictArea, form),
    /** Never redrawn under the author's hands: a warning says the file changed, the save will tell. */
    onRefUpdate: (ev) => {
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
