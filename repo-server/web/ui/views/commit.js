/** One commit: message, author, parents, and what it changed against its first parent. */
import { h, short, subject, time } from '../dom.js';
import * as api from '../api.js';
import { href } from '../router.js';
import { filesDiff } from '../diff-view.js';
import { parseUnified } from '../diff.js';
import { title } from './parts.js';

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const commit = await api.getCommit(ctx.repoName, ctx.route.params.id ?? '');
  const parent = commit.parents[0] ?? null;
  const changes = parent === null ? h('p', {}, 'This is the first commit of the repository: everything in it was added.') : filesDiff(parseUnified(await api.compareDiff(ctx.repoName, parent, commit.id)));
  const body = commit.message.split('\n').slice(1).join('\n').trim();
  return {
    title: subject(commit.message),
    node: h(
      'div',
      {},
      title(subject(commit.message) || '(no message)'),
      body === '' ? null : h('p', { class: 'commit-body' }, body),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Commit'),
        h('dd', {}, h('code', {}, commit.id)),
        h('dt', {}, 'Author'),
        h('dd', {}, `${commit.author.name} <${commit.author.email}>, `, time(commit.author.timestamp)),
        h('dt', {}, commit.parents.length > 1 ? 'Parents' : 'Parent'),
        h('dd', {}, commit.parents.length === 0 ? 'none' : commit.parents.map((/** @type {string} */ p, /** @type {number} */ i) => [i > 0 ? ', ' : '', h('a', { href: href('commit', ctx.repoName, { id: p }) }, short(p))])),
      ),
      h('div', { class: 'actions' }, h('a', { class: 'button', href: href('tree', ctx.repoName, { ref: commit.id }) }, 'Browse the files at this version')),
      h('h2', {}, parent === null ? 'Files' : commit.parents.length > 1 ? `Changes against the first parent ${short(parent)}` : 'Changes'),
      changes,
    ),
  };
}
