/** The repositories the token may read, and a form to create one. */
import { h, field } from '../dom.js';
import * as api from '../api.js';
import { href, go } from '../router.js';
import { flash } from '../notices.js';
import { busy, describe, formError, title } from './parts.js';

const NAME = '[A-Za-z0-9._\\-]{1,100}';

export async function render() {
  const repos = await api.listRepos();
  const list =
    repos.length === 0
      ? h('p', { class: 'empty' }, 'No repositories yet. Create the first one below.')
      : h(
          'table',
          { class: 'list' },
          h('caption', { class: 'visually-hidden' }, 'Repositories'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Default branch'))),
          h(
            'tbody',
            {},
            repos.map((/** @type {{ name: string, description?: string, defaultBranch: string }} */ r) => h('tr', {}, h('td', {}, h('a', { href: href('tree', r.name) }, r.name)), h('td', {}, r.description ?? ''), h('td', {}, r.defaultBranch))),
          ),
        );
  return { title: 'Repositories', node: h('div', {}, title('Repositories'), list, createForm()) };
}

function createForm() {
  const name = h('input', { id: 'new-repo-name', required: true, pattern: NAME, maxlength: '100', autocomplete: 'off', spellcheck: 'false' });
  const description = h('input', { id: 'new-repo-description', maxlength: '1000', class: 'wide' });
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create repository');
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'create-repo-heading',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        const value = name.value.trim();
        if (!new RegExp(`^${NAME}$`).test(value) || value.endsWith('.git')) {
          formError(errors, 'A name is 1 to 100 letters, digits, ".", "_" or "-", and does not end in ".git".');
          name.focus();
          return;
        }
        void busy(submit, async () => {
          try {
            await api.createRepo(value, { description: description.value.trim() });
          } catch (err) {
            formError(errors, err instanceof api.ApiError && err.status === 412 ? `A repository named ${value} already exists.` : `Could not create it: ${describe(err)}`);
            name.focus();
            return;
          }
          flash(`Created repository ${value}.`);
          go('tree', value);
        });
      },
    },
    h('h2', { id: 'create-repo-heading' }, 'Create a repository'),
    field('Name', name, 'Letters, digits, ".", "_" and "-"; it becomes part of every address.'),
    field('Description (optional)', description),
    errors,
    h('div', { class: 'actions' }, submit),
  );
}
