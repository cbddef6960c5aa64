/**
 * What every repository screen shares: the repository, its branches and tags, which ref is on
 * screen (a branch can be edited; a tag or commit is read-only), and the chrome around the
 * screen: breadcrumb, ref chooser, tabs and the live-updates indicator.
 */
import { h } from '../dom.js';
import * as api from '../api.js';
import { href, go } from '../router.js';
import { refSelect } from './parts.js';

/**
 * @typedef {{
 *   route: import('../router.js').Route, repoName: string, repo: any, branches: any[], tags: any[],
 *   ref: string, isBranch: boolean, defaultBranch: string, empty: boolean,
 *   ownChange: (ref: string, commit: string) => void, refresh: () => Promise<void>
 * }} RepoContext
 */

/** @returns {Promise<RepoContext>} */
/**
 * @param {import('../router.js').Route} route
 * @param {{ ownChange: (ref: string, commit: string) => void, refresh: () => Promise<void> }} hooks
 */
export async function loadRepoContext(route, hooks) {
  const name = /** @type {string} */ (route.repo);
  const [repo, branches, tags] = await Promise.all([api.getRepo(name), api.listBranches(name), api.listTags(name)]);
  const ref = route.params.ref || route.params.branch || repo.defaultBranch;
  return {
    route,
    repoName: name,
    repo,
    branches,
    tags,
    ref,
    isBranch: branches.some((/** @type {{ name: string }} */ b) => b.name === ref),
    defaultBranch: repo.defaultBranch,
    empty: branches.length === 0,
    ...hooks,
  };
}

const TABS = [
  ['tree', 'Files'],
  ['history', 'History'],
  ['branches', 'Branches'],
  ['compare', 'Compare & merge'],
  ['tags', 'Versions'],
];

/**
 * Which tab a screen belongs to.
 * @param {string} name
 */
function tabOf(name) {
  if (name === 'file' || name === 'edit') return 'tree';
  if (name === 'commit') return 'history';
  return name;
}

/**
 * @param {RepoContext} ctx
 * @param {Node} content
 */
export function repoChrome(ctx, content) {
  const { route, repoName } = ctx;
  const refParams = ctx.ref === ctx.defaultBranch ? {} : { ref: ctx.ref };
  const select = refSelect({ branches: ctx.branches, tags: ctx.tags, value: ctx.ref, id: 'ref-select' });
  select.setAttribute('data-default', ctx.defaultBranch);
  select.disabled = ctx.empty || route.name === 'edit';
  // Switching happens on the button, not on change: a keyboard user moving through the options
  // must not be taken to another page at every arrow key (WCAG 3.2.2).
  const chooser = h(
    'form',
    {
      class: 'ref-chooser',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        // Same screen and path at the other ref: what readers expect when switching editions.
        const view = ['tree', 'file', 'history'].includes(route.name) ? route.name : 'tree';
        go(view, repoName, { path: view === route.name ? route.params.path : undefined, ref: select.value === ctx.defaultBranch ? undefined : select.value });
      },
    },
    h('div', { class: 'field inline' }, h('label', { for: 'ref-select' }, 'Branch or version'), select, h('button', { type: 'submit', disabled: select.disabled }, 'Show')),
  );
  const tabs = h(
    'ul',
    { class: 'tabs' },
    TABS.map(([name, label]) => {
      const params = name === 'tree' || name === 'history' ? refParams : {};
      const current = tabOf(route.name) === name;
      return h('li', {}, h('a', { href: href(name, repoName, params), 'aria-current': current ? 'page' : undefined }, label));
    }),
  );
  return h(
    'div',
    { class: 'repo' },
    h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, h('a', { href: href('repos') }, 'Repositories'), ' / ', h('a', { href: href('tree', repoName) }, repoName)),
    h(
      'div',
      { class: 'repo-bar' },
      chooser,
      ctx.isBranch || ctx.empty ? null : h('span', { class: 'badge' }, 'Read-only: published versions and commits never change'),
      h('span', { id: 'live-state', class: 'live-state' }, 'Connecting to live updates…'),
    ),
    h('nav', { 'aria-label': 'Repository' }, tabs),
    h('div', { class: 'screen' }, content),
  );
}
