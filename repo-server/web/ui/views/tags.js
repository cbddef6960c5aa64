/** Published versions: tags never move, so a version once published always shows the same files. */
import { h, field, short, subject, time } from '../dom.js';
import * as api from '../api.js';
import { href } from '../router.js';
import { announce } from '../notices.js';
import { busy, describe, formError, refSelect, title } from './parts.js';

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const list =
    ctx.tags.length === 0
      ? h('p', { class: 'empty' }, 'No version has been published yet.')
      : h(
          'table',
          { class: 'list' },
          h('caption', { class: 'visually-hidden' }, 'Published versions'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Notes'), h('th', { scope: 'col' }, 'Published'), h('th', { scope: 'col' }, 'Commit'))),
          h(
            'tbody',
            {},
            ctx.tags.map((t) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('a', { href: href('tree', ctx.repoName, { ref: t.name }) }, t.name)),
                h('td', {}, subject(t.message ?? '')),
                h('td', {}, t.tagger ? [t.tagger.name, ', ', time(t.tagger.timestamp)] : ''),
                h('td', {}, t.commit ? h('a', { href: href('commit', ctx.repoName, { id: t.commit }) }, h('code', {}, short(t.commit))) : ''),
              ),
            ),
          ),
        );
  return { title: `Versions of ${ctx.repoName}`, node: h('div', {}, title('Published versions'), list, ctx.empty ? null : publishForm(ctx)) };
}

/** @param {import('./layout.js').RepoContext} ctx */
function publishForm(ctx) {
  const name = h('input', { id: 'tag-name', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'v1.0' });
  const ref = refSelect({ branches: ctx.branches, tags: [], value: ctx.defaultBranch, id: 'tag-ref', includeTags: false });
  const message = h('textarea', { id: 'tag-message', rows: '3', class: 'wide', required: true });
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Publish version');
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'publish-heading',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        const tag = name.value.trim();
        if (tag === '' || message.value.trim() === '') {
          formError(errors, 'A version needs a name (like v1.0) and release notes.');
          (tag === '' ? name : message).focus();
          return;
        }
        void busy(submit, async () => {
          let published;
          try {
            published = await api.publishTag(ctx.repoName, tag, ref.value, message.value.trim());
          } catch (err) {
            formError(errors, err instanceof api.ApiError && err.status === 409 ? `${tag} is already published for another commit; a published version never changes. Choose a new name.` : `Could not publish: ${describe(err)}`);
            name.focus();
            return;
          }
          ctx.ownChange(`refs/tags/${tag}`, published.tag.oid);
          announce(published.created ? `Published ${tag} from ${ref.value} (commit ${short(published.tag.commit)}).` : `${tag} was already published for this commit.`);
          await ctx.refresh();
        });
      },
    },
    h('h2', { id: 'publish-heading' }, 'Publish a version'),
    h('p', { class: 'muted' }, 'Publishing names the current state of a branch. The name then always shows exactly these files, whatever changes later.'),
    field('Version name', name, 'For example v1.0 or 2026-spring.'),
    field('From branch', ref),
    field('Release notes', message),
    errors,
    h('div', { class: 'actions' }, submit),
  );
}
