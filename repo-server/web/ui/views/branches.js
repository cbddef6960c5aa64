/** Branches: what exists, where each points, and making or removing one. */
import { h, field, short } from '../dom.js';
import * as api from '../api.js';
import { href } from '../router.js';
import { announce } from '../notices.js';
import { busy, describe, formError, refSelect, title } from './parts.js';

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const rows = ctx.branches.map((b) => {
    const isDefault = b.name === ctx.defaultBranch;
    const ref = isDefault ? undefined : b.name;
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, h('a', { href: href('tree', ctx.repoName, { ref }) }, b.name), isDefault ? h('span', { class: 'badge' }, 'default') : null),
      h('td', {}, h('a', { href: href('commit', ctx.repoName, { id: b.commit }) }, h('code', {}, short(b.commit)))),
      h(
        'td',
        { class: 'row-actions' },
        isDefault ? null : h('a', { href: href('compare', ctx.repoName, { base: ctx.defaultBranch, head: b.name }) }, `Compare with ${ctx.defaultBranch}`),
        ' ',
        h('a', { href: href('history', ctx.repoName, { ref }) }, 'History'),
        ' ',
        isDefault ? null : deleteButton(ctx, b),
      ),
    );
  });
  const table =
    ctx.branches.length === 0
      ? h('p', { class: 'empty' }, 'No branches yet: the first saved file makes the default branch.')
      : h(
          'table',
          { class: 'list' },
          h('caption', { class: 'visually-hidden' }, 'Branches'),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Branch'), h('th', { scope: 'col' }, 'Head'), h('th', { scope: 'col' }, 'Actions'))),
          h('tbody', {}, rows),
        );
  return { title: `Branches of ${ctx.repoName}`, node: h('div', {}, title('Branches'), table, ctx.empty ? null : createForm(ctx)) };
}

/** @param {import('./layout.js').RepoContext} ctx */
function createForm(ctx) {
  const name = h('input', { id: 'new-branch-name', required: true, autocomplete: 'off', spellcheck: 'false' });
  const from = refSelect({ branches: ctx.branches, tags: ctx.tags, value: ctx.defaultBranch, id: 'new-branch-from' });
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create branch');
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'create-branch-heading',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        const value = name.value.trim();
        if (value === '') {
          formError(errors, 'Give the branch a name, for example second-edition.');
          name.focus();
          return;
        }
        void busy(submit, async () => {
          try {
            const branch = await api.createBranch(ctx.repoName, value, from.value);
            ctx.ownChange(`refs/heads/${value}`, branch.commit);
          } catch (err) {
            formError(errors, err instanceof api.ApiError && (err.status === 412 || err.status === 428) ? `A branch named ${value} already exists.` : `Could not create it: ${describe(err)}`);
            name.focus();
            return;
          }
          announce(`Created branch ${value} from ${from.value}.`);
          await ctx.refresh();
          document.getElementById('new-branch-name')?.focus();
        });
      },
    },
    h('h2', { id: 'create-branch-heading' }, 'Start a branch'),
    h('p', { class: 'muted' }, 'A branch is a separate line of work (a draft, a new edition); merge it back when it is ready.'),
    field('Name', name, 'Letters, digits, "-", "_", "." and "/"; for example drafts/chapter-3.'),
    field('Starting from', from),
    errors,
    h('div', { class: 'actions' }, submit),
  );
}

/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {{ name: string, commit: string }} branch
 */
function deleteButton(ctx, branch) {
  const button = h('button', { type: 'button', class: 'link danger', 'aria-label': `Delete branch ${branch.name}` }, 'Delete');
  button.addEventListener('click', () => {
    if (!window.confirm(`Delete the branch ${branch.name}? Commits merged elsewhere are kept.`)) return;
    void busy(button, async () => {
      try {
        // Conditional on the head shown: a branch that moved meanwhile is not deleted unseen.
        await api.deleteBranch(ctx.repoName, branch.name, branch.commit);
        ctx.ownChange(`refs/heads/${branch.name}`, 'null');
      } catch (err) {
        announce(err instanceof api.ApiError && err.status === 412 ? `${branch.name} moved since this page was loaded; it was not deleted.` : `Could not delete ${branch.name}: ${describe(err)}`, 'error');
        await ctx.refresh();
        return;
      }
      announce(`Deleted branch ${branch.name}.`);
      await ctx.refresh();
    });
  });
  return button;
}
