/**
 * Comparing two refs (how far apart, which files, the diff) and merging head into the base
 * branch on the server. A 409 lists the conflicting paths; no branch moved.
 */
import { h, field, short } from '../dom.js';
import * as api from '../api.js';
import { go, href } from '../router.js';
import { announce, flash } from '../notices.js';
import { filesDiff } from '../diff-view.js';
import { parseUnified } from '../diff.js';
import { busy, describe, formError, refSelect, title } from './parts.js';
import { fileChoice, textResolver } from './resolver.js';

const KINDS = {
  content: 'both sides changed the same lines',
  'add-add': 'both sides added a file with this name',
  binary: 'both sides changed this binary file',
  'modify-delete': 'one side changed the file, the other deleted it',
  'file-folder': 'a file on one side is a folder on the other',
  mode: 'both sides changed its permissions differently',
  symlink: 'both sides changed this link differently',
  submodule: 'both sides changed this submodule differently',
};

const plural = (/** @type {number} */ n, /** @type {string} */ word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** @param {import('./layout.js').RepoContext} ctx */
export async function render(ctx) {
  const base = ctx.route.params.base ?? ctx.defaultBranch;
  const otherBranch = ctx.branches.find((b) => b.name !== base)?.name ?? base;
  const head = ctx.route.params.head ?? otherBranch;
  const baseSelect = refSelect({ branches: ctx.branches, tags: ctx.tags, value: base, id: 'compare-base', includeTags: false });
  const headSelect = refSelect({ branches: ctx.branches, tags: ctx.tags, value: head, id: 'compare-head' });
  const form = h(
    'form',
    {
      class: 'inline-form',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        go('compare', ctx.repoName, { base: baseSelect.value, head: headSelect.value });
      },
    },
    field('Merge into (base)', baseSelect),
    field('Changes from (head)', headSelect),
    h('button', { type: 'submit' }, 'Compare'),
  );
  const heading = title('Compare & merge');
  if (ctx.empty || ctx.route.params.head === undefined) {
    return { title: 'Compare & merge', node: h('div', {}, heading, h('p', { class: 'muted' }, 'Choose the branch to merge into and the branch or version whose changes to look at.'), form) };
  }
  const [cmp, diff] = await Promise.all([api.compare(ctx.repoName, base, head), api.compareDiff(ctx.repoName, base, head)]);
  const status =
    cmp.aheadBy === 0
      ? `${base} already has every change of ${head}${cmp.behindBy > 0 ? ` (and ${plural(cmp.behindBy, 'commit')} ${head} does not have)` : ''}.`
      : `${head} has ${plural(cmp.aheadBy, 'commit')} that ${base} does not have${cmp.behindBy > 0 ? `, and ${base} has ${plural(cmp.behindBy, 'commit')} that ${head} does not have` : ''}.`;
  const files = h(
    'ul',
    { class: 'changed-files' },
    cmp.files.map((/** @type {{ path: string, status: string }} */ f) => h('li', {}, h('span', { class: `status status-${f.status}` }, f.status), ' ', h('a', { href: href('file', ctx.repoName, { ref: head, path: f.path }) }, f.path))),
  );
  const canMerge = cmp.aheadBy > 0 && ctx.branches.some((b) => b.name === base);
  return {
    title: `Compare ${base}...${head}`,
    node: h(
      'div',
      {},
      heading,
      form,
      h('section', { 'aria-labelledby': 'summary-heading' }, h('h2', { id: 'summary-heading' }, `${head} compared with ${base}`), h('p', { class: 'summary', id: 'compare-summary' }, status), cmp.files.length > 0 ? files : null),
      canMerge ? mergeForm(ctx, base, head) : null,
      h('section', { 'aria-labelledby': 'diff-heading' }, h('h2', { id: 'diff-heading' }, 'Changes'), filesDiff(parseUnified(diff))),
    ),
  };
}

/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {string} base
 * @param {string} head
 */
function mergeForm(ctx, base, head) {
  const message = h('input', { id: 'merge-message', class: 'wide', value: `Merge ${head} into ${base}` });
  const result = h('div', { id: 'merge-result' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'merge-button' }, `Merge ${head} into ${base}`);
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'merge-heading',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        void busy(submit, async () => {
          let merged;
          try {
            merged = await api.merge(ctx.repoName, { base, head, message: message.value.trim() });
          } catch (err) {
            if (err instanceof api.ApiError && err.status === 409 && Array.isArray(err.problem.conflicts)) return showConflicts(ctx, result, base, head, err.problem);
            announce(`Could not merge: ${describe(err)}`, 'error');
            return;
          }
          if (merged === null) {
            announce(`Nothing to merge: ${base} already has every change of ${head}.`);
          } else {
            ctx.ownChange(`refs/heads/${base}`, merged.commit.id);
            const how = merged.outcome === 'fast-forward' ? 'fast-forward: no merge commit was needed' : `merge commit ${short(merged.commit.id)}`;
            announce(`Merged ${head} into ${base} (${how}).`);
          }
          await ctx.refresh();
        });
      },
    },
    h('h2', { id: 'merge-heading' }, 'Merge'),
    h('p', { class: 'muted' }, `Brings every change of ${head} into ${base}, on the server. If both changed the same lines, nothing is changed and the conflicts are listed.`),
    field('Merge message', message),
    h('div', { class: 'actions' }, submit),
    result,
  );
}

/**
 * @param {import('./layout.js').RepoContext} ctx
 * @param {HTMLElement} container
 * @param {string} base
 * @param {string} head
 * @param {any} problem the 409's problem+json: {conflicts: [{path, kind}], cause}
 */
function showConflicts(ctx, container, base, head, problem) {
  const list = h(
    'ul',
    { class: 'conflicts' },
    problem.conflicts.map((/** @type {{ path: string, kind: string }} */ c) =>
      h(
        'li',
        {},
        h('strong', {}, c.path),
        `: ${KINDS[/** @type {keyof typeof KINDS} */ (c.kind)] ?? c.kind}. See it on `,
        h('a', { href: href('file', ctx.repoName, { ref: base, path: c.path }) }, base),
        ' or ',
        h('a', { href: href('file', ctx.repoName, { ref: head, path: c.path }) }, head),
        '.',
      ),
    ),
  );
  const resolvable = problem.cause === 'content' || problem.cause === undefined;
  const resolution = h('div', { id: 'merge-resolution' });
  container.replaceChildren(
    h(
      'section',
      { class: 'conflict', 'aria-labelledby': 'merge-conflict-heading' },
      h('h3', { id: 'merge-conflict-heading', tabindex: '-1' }, `Not merged: ${plural(problem.conflicts.length, 'conflict')}`),
      h('p', {}, `Nothing was changed. ${head} and ${base} both changed these paths:`),
      list,
      resolvable
        ? h('p', {}, 'Choose below how each one should read after the merge; the merge is then committed with both branches as its parents.')
        : [h('p', {}, problem.detail), h('p', {}, 'This merge cannot be resolved path by path in the browser; merge it with git.')],
    ),
    resolution,
  );
  announce(`Not merged: ${plural(problem.conflicts.length, 'conflict')}. Nothing was changed.`, 'error');
  /** @type {HTMLElement} */ (container.querySelector('#merge-conflict-heading')).focus();
  if (resolvable) void resolutionForm(ctx, resolution, base, head);
}

/**
 * The conflicts of merging head into base, each to settle, and the button that commits the merge.
 * @param {import('./layout.js').RepoContext} ctx
 * @param {HTMLElement} container
 * @param {string} base
 * @param {string} head
 */
async function resolutionForm(ctx, container, base, head) {
  let loaded;
  try {
    loaded = await api.mergePreview(ctx.repoName, base, head);
  } catch (err) {
    container.replaceChildren(h('p', { class: 'form-error' }, `Could not load the conflicts: ${describe(err)}`));
    return;
  }
  const { preview, etag } = loaded;
  const labels = { ours: `${base}’s version`, theirs: `${head}’s version` };
  /** @type {Array<{ path: string, resolution: () => Record<string, unknown>|null }>} */
  const files = [];
  const sections = preview.conflicts.map((/** @type {any} */ c) => {
    const heading = h('h3', { class: 'resolve-file' }, c.path, h('span', { class: 'muted' }, ` (${KINDS[/** @type {keyof typeof KINDS} */ (c.kind)] ?? c.kind})`));
    if (c.regions !== null) {
      const r = textResolver({ path: c.path, regions: c.regions, labels });
      files.push({ path: c.path, resolution: () => { const content = r.value(); return content === null ? null : { path: c.path, content }; } });
      return h('section', { class: 'resolve', 'aria-label': `Resolve ${c.path}` }, heading, r.node);
    }
    const choice = fileChoice({ path: c.path, hasOurs: c.ours !== null, hasTheirs: c.theirs !== null, labels });
    files.push({ path: c.path, resolution: () => { const v = choice.value(); return v === null ? null : { path: c.path, ...v }; } });
    return h('section', { class: 'resolve', 'aria-label': `Resolve ${c.path}` }, heading, choice.node);
  });
  const message = h('input', { id: 'resolve-message', class: 'wide', value: `Merge ${head} into ${base}` });
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary', id: 'commit-merge' }, 'Commit the merge');
  const form = h(
    'form',
    {
      class: 'card resolve-form',
      'aria-labelledby': 'resolve-heading',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        void busy(submit, async () => {
          const resolutions = files.map((f) => f.resolution());
          const open = files.filter((_, i) => resolutions[i] === null).map((f) => f.path);
          if (open.length > 0) {
            formError(errors, `Choose how to resolve every conflict first. Still open: ${open.join(', ')}.`);
            form.querySelector('fieldset.conflict-hunk:not(.chosen) input')?.closest('fieldset')?.scrollIntoView();
            return;
          }
          formError(errors, '');
          let merged;
          try {
            merged = await api.commitResolvedMerge(ctx.repoName, { base, head, etag, message: message.value.trim() || `Merge ${head} into ${base}`, resolutions: /** @type {Array<Record<string, unknown>>} */ (resolutions) });
          } catch (err) {
            if (err instanceof api.ApiError && err.status === 412) {
              formError(errors, `${base} or ${head} changed while you were resolving; nothing was merged. Compare them again to see the conflicts as they are now.`);
              return;
            }
            formError(errors, `Not merged: ${describe(err)}`);
            return;
          }
          if (merged !== null) ctx.ownChange(`refs/heads/${base}`, merged.commit.id);
          flash(merged === null ? `Nothing to merge: ${base} already has every change of ${head}.` : `Merged ${head} into ${base} with your resolution (merge commit ${short(merged.commit.id)}).`);
          go('compare', ctx.repoName, { base, head });
        });
      },
    },
    h('h2', { id: 'resolve-heading' }, 'Resolve the conflicts'),
    h('p', { class: 'muted' }, `For each conflict, keep ${base}’s text, ${head}’s, both, or write it yourself. Lines that merged cleanly are folded; open them to read them.`),
    sections,
    field('Merge message', message),
    errors,
    h('div', { class: 'actions' }, submit),
  );
  // A choice made since the last refusal makes its message stale.
  form.addEventListener('change', () => formError(errors, ''));
  container.replaceChildren(form);
}
