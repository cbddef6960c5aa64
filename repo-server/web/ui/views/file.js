/** One file at a ref: who changed it last, its content shown by kind, and what can be done with it. */
import { h, short, subject, time } from '../dom.js';
import * as api from '../api.js';
import { go, href } from '../router.js';
import { announce, flash } from '../notices.js';
import { baseName, decodeText, kindOf, parentOf } from '../files.js';
import { busy, describe, errorScreen, pathCrumbs, title } from './parts.js';
import { cnxmlPreview, htmlPreview, markdownPreview, repoImage } from './preview.js';

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const path = ctx.route.params.path ?? '';
  const ref = ctx.ref === ctx.defaultBranch ? undefined : ctx.ref;
  let meta;
  try {
    meta = await api.getFileMeta(ctx.repoName, ctx.ref, path);
  } catch (err) {
    return { title: 'Not found', node: errorScreen(err, { href: href('tree', ctx.repoName, { ref, path: parentOf(path) || undefined }), label: 'Go to the folder' }) };
  }
  // The bytes at the commit the metadata names: both describe exactly the same version.
  const blob = await api.getFileBlob(ctx.repoName, meta.commit, path);
  const text = decodeText(await blob.arrayBuffer());
  const kind = kindOf(path);
  const last = meta.lastCommit;
  const info = h(
    'p',
    { class: 'file-info' },
    last ? ['Last changed by ', h('strong', {}, last.author.name), ' on ', time(last.author.timestamp), ': ', h('a', { href: href('commit', ctx.repoName, { id: last.id }) }, subject(last.message)), ' '] : null,
    h('span', { class: 'muted' }, `(${meta.size} bytes, version ${short(meta.id)})`),
  );
  const download = h('button', { type: 'button', onclick: () => saveAs(blob, baseName(path)) }, 'Download');
  const actions = h(
    'div',
    { class: 'actions' },
    ctx.isBranch && text !== null ? h('a', { class: 'button primary', href: href('edit', ctx.repoName, { branch: ctx.ref, path }) }, 'Edit') : null,
    h('a', { class: 'button', href: href('history', ctx.repoName, { ref, path }) }, 'History'),
    download,
    ctx.isBranch ? deleteButton(ctx, path, meta.id) : null,
  );
  return {
    title: path,
    node: h('div', {}, pathCrumbs(ctx, path), title(baseName(path)), info, actions, h('section', { class: 'file-content', 'aria-label': `Content of ${path}` }, await content(ctx, path, kind, text, blob))),
  };
}

/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {string} path
 * @param {string} kind
 * @param {string|null} text
 * @param {Blob} blob
 * @returns {Promise<Node>}
 */
async function content(ctx, path, kind, text, blob) {
  if (kind === 'image') return repoImage(ctx.repoName, ctx.ref, path, `Image ${baseName(path)}`);
  if (text === null) return h('p', { class: 'empty' }, `This is a binary file (${blob.size} bytes); use Download to open it.`);
  if (kind === 'markdown') return withSource(await markdownPreview(ctx, path, text), text, 'Show the Markdown source');
  if (kind === 'html') return withSource(htmlPreview(path, text), text, 'Show the HTML source');
  if (kind === 'cnxml') return withSource(cnxmlPreview(ctx, path, text), text, 'Show the CNXML source');
  return h('pre', { class: 'source', tabindex: '0' }, text);
}

/** A rendered view with a toggle to its source (aria-pressed tells which one is on screen). */
/**
 * @param {HTMLElement} rendered
 * @param {string} text
 * @param {string} label
 */
function withSource(rendered, text, label) {
  const source = h('pre', { class: 'source', tabindex: '0', hidden: true }, text);
  const toggle = h('button', { type: 'button', 'aria-pressed': 'false', class: 'toggle' }, label);
  toggle.addEventListener('click', () => {
    const showing = toggle.getAttribute('aria-pressed') === 'true';
    toggle.setAttribute('aria-pressed', String(!showing));
    source.hidden = showing;
    rendered.hidden = !showing;
  });
  return h('div', {}, h('div', { class: 'actions' }, toggle), rendered, source);
}

/** Saves bytes already fetched (with the token) under the file's own name. */
/**
 * @param {Blob} blob
 * @param {string} name
 */
function saveAs(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {string} path
 * @param {string} blobId
 */
function deleteButton(ctx, path, blobId) {
  const button = h('button', { type: 'button', class: 'danger' }, 'Delete');
  button.addEventListener('click', () => {
    if (!window.confirm(`Delete ${path} from ${ctx.ref}? It stays in the history.`)) return;
    void busy(button, async () => {
      try {
        // Conditional on the version on screen: a file changed meanwhile is not deleted unseen.
        await api.deleteFile(ctx.repoName, { branch: ctx.ref, path, message: `Delete ${path}`, expected: blobId });
        ctx.ownChange(`refs/heads/${ctx.ref}`, '*');
      } catch (err) {
        announce(err instanceof api.ApiError && err.status === 412 ? `Someone else changed ${path} since you opened it; it was not deleted. Look at the new version first.` : `Could not delete ${path}: ${describe(err)}`, 'error');
        return;
      }
      flash(`Deleted ${path} from ${ctx.ref}.`);
      go('tree', ctx.repoName, { ref: ctx.ref === ctx.defaultBranch ? undefined : ctx.ref, path: parentOf(path) || undefined });
    });
  });
  return button;
}
