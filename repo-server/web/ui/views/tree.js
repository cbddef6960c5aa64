/** A folder of a repository at a branch, tag or commit: its entries, and its README rendered. */
import { h } from '../dom.js';
import * as api from '../api.js';
import { href } from '../router.js';
import { announce } from '../notices.js';
import { baseName } from '../files.js';
import { busy, describe, errorScreen, pathCrumbs, title } from './parts.js';
import { markdownPreview } from './preview.js';
import * as fileView from './file.js';

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const path = ctx.route.params.path ?? '';
  if (ctx.empty) return emptyRepository(ctx);
  let listing;
  try {
    listing = await api.getFolder(ctx.repoName, ctx.ref, path);
  } catch (err) {
    return { title: 'Not found', node: errorScreen(err, { href: href('tree', ctx.repoName), label: `Go to the top folder of ${ctx.repoName}` }) };
  }
  // A path that names a file is shown as the file.
  if (listing.type !== 'folder') return fileView.render(ctx);
  const ref = ctx.ref === ctx.defaultBranch ? undefined : ctx.ref;
  const entries = [...listing.entries].sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'folder' ? -1 : 1));
  const name = path === '' ? ctx.repoName : baseName(path);
  const table = h(
    'table',
    { class: 'list files' },
    h('caption', { class: 'visually-hidden' }, `Contents of ${path === '' ? 'the top folder' : path}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col', class: 'num' }, 'Size'))),
    h(
      'tbody',
      {},
      entries.map((e) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: href(e.type === 'folder' ? 'tree' : 'file', ctx.repoName, { ref, path: e.path }), class: e.type === 'folder' ? 'folder' : 'file' }, e.type === 'folder' ? `${e.name}/` : e.name)),
          h('td', {}, e.type === 'folder' ? 'Folder' : 'File'),
          h('td', { class: 'num' }, e.size === undefined ? '' : formatSize(e.size)),
        ),
      ),
    ),
  );
  const readme = entries.find((e) => e.type === 'file' && /^readme\.(md|markdown)$/i.test(e.name));
  let readmeNode = null;
  if (readme) {
    const text = await (await api.getFileBlob(ctx.repoName, listing.commit, readme.path)).text();
    readmeNode = h('section', { class: 'card readme', 'aria-labelledby': 'readme-heading' }, h('h2', { id: 'readme-heading' }, readme.name), await markdownPreview(ctx, readme.path, text));
  }
  const actions = h(
    'div',
    { class: 'actions' },
    ctx.isBranch ? h('a', { class: 'button', href: href('edit', ctx.repoName, { branch: ctx.ref, path: path === '' ? '' : `${path}/`, new: '1' }) }, 'New file') : null,
    h('a', { class: 'button', href: href('history', ctx.repoName, { ref, path: path || undefined }) }, path === '' ? 'History' : 'History of this folder'),
  );
  return {
    title: path === '' ? ctx.repoName : path,
    node: h('div', {}, path === '' ? null : pathCrumbs(ctx, path), title(name), ctx.repo.description && path === '' ? h('p', { class: 'description' }, ctx.repo.description) : null, actions, table, ctx.isBranch ? uploadForm(ctx, path, entries) : null, readmeNode),
  };
}

/** @param {number} bytes */
function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Uploads files into the folder, one commit each; an existing name is replaced conditionally. */
/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {string} folder
 * @param {Array<{ path: string, type: string, id: string }>} entries
 */
function uploadForm(ctx, folder, entries) {
  const input = h('input', { type: 'file', id: 'upload-input', multiple: true });
  const submit = h('button', { type: 'submit' }, 'Upload');
  return h(
    'form',
    {
      class: 'inline-form',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        const files = [...(input.files ?? [])];
        if (files.length === 0) return announce('Choose one or more files to upload first.', 'error');
        void busy(submit, async () => {
          const done = [];
          for (const file of files) {
            const path = folder === '' ? file.name : `${folder}/${file.name}`;
            const existing = entries.find((en) => en.path === path && en.type === 'file');
            try {
              const written = await api.putFile(ctx.repoName, { branch: ctx.ref, path, content: await file.arrayBuffer(), message: `Upload ${path}`, expected: existing ? existing.id : null });
              ctx.ownChange(`refs/heads/${ctx.ref}`, written.commit);
              done.push(file.name);
            } catch (err) {
              announce(`Could not upload ${file.name}: ${describe(err)}`, 'error');
              break;
            }
          }
          if (done.length > 0) announce(`Uploaded ${done.join(', ')} to ${ctx.ref}.`);
          await ctx.refresh();
        });
      },
    },
    h('label', { for: 'upload-input' }, 'Upload files into this folder'),
    input,
    submit,
  );
}

/** @param {import('./layout.js').RepoContext} ctx */
function emptyRepository(ctx) {
  return {
    title: ctx.repoName,
    node: h(
      'div',
      {},
      title(ctx.repoName),
      ctx.repo.description ? h('p', { class: 'description' }, ctx.repo.description) : null,
      h('p', { class: 'empty' }, 'This repository has no files yet.'),
      h('div', { class: 'actions' }, h('a', { class: 'button primary', href: href('edit', ctx.repoName, { branch: ctx.defaultBranch, path: '', new: '1' }) }, 'Add the first file')),
    ),
  };
}
