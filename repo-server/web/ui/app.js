/**
 * The client's shell: reads the route from the URL fragment, draws the screen for it, keeps one
 * /events subscription for the repository on screen, and turns its ref updates into a banner
 * and a refresh. Screens are modules under views/ that answer { title, node, onRefUpdate? }.
 */
import { h } from './dom.js';
import { parse, go, href } from './router.js';
import { isAnonymous, isSignedIn, signOut, who } from './session.js';
import { subscribe } from './events.js';
import { endSession, writesSettled } from './api.js';
import { clearNotices, flash, showBanner } from './notices.js';
import { errorScreen } from './views/parts.js';
import { loadRepoContext, repoChrome } from './views/layout.js';
import * as signin from './views/signin.js';
import * as repos from './views/repos.js';
import * as tree from './views/tree.js';
import * as file from './views/file.js';
import * as editor from './views/editor.js';
import * as historyView from './views/history.js';
import * as commit from './views/commit.js';
import * as branches from './views/branches.js';
import * as compare from './views/compare.js';
import * as tags from './views/tags.js';

const SCREENS = { tree, file, edit: editor, history: historyView, commit, branches, compare, tags };

/** @typedef {{ ref: string, old: string|null, new: string|null, actor: string }} RefUpdate */

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
/** @type {{ close(): void, repo: string } | null} */
let events = null;
/** @type {{ onRefUpdate?: (ev: any) => boolean|void, repo?: string } | null} */
let screen = null;
let rendering = 0;
/** Ref updates this tab caused itself ("refs/heads/main abc..."): refreshed already, no banner. */
const own = new Set();

/**
 * Views call this after a write, so the event it causes is not announced as someone else's.
 * @param {string} ref
 * @param {string} commit
 */
function ownChange(ref, commit) {
  own.add(`${ref} ${commit}`);
}

function drawAccount() {
  const account = /** @type {HTMLElement} */ (document.getElementById('account'));
  if (!isSignedIn()) return account.replaceChildren();
  const me = who();
  const out = async () => {
    // A sign-in ends on the server too; a long-lived token is only forgotten by this tab.
    if (me?.signIn) await endSession().catch(() => undefined);
    signOut();
    events?.close();
    events = null;
    flash(me?.signIn ? 'Signed out.' : 'Signed out. The token was removed from this tab.');
    go('signin');
  };
  account.replaceChildren(
    h('span', { class: 'who' }, isAnonymous() ? 'Browsing without a token' : me === null ? 'Signed in with a token' : `Signed in as ${me.name}`),
    ' ',
    isAnonymous() ? h('a', { href: href('signin') }, 'Sign in') : h('button', { type: 'button', class: 'link', onclick: () => void out() }, 'Sign out'),
  );
}

/**
 * Draws the screen for the current route.
 * @param {{ live?: boolean }} [how] live: a refresh after a ref update, not a navigation
 */
async function render(how = {}) {
  const route = parse(location.hash);
  if (route === null) return;
  const ticket = ++rendering;
  if (!isSignedIn() && route.name !== 'signin') {
    go('signin', undefined, { next: location.hash });
    return;
  }
  drawAccount();
  if (!how.live) clearNotices();
  const focusedId = how.live && main.contains(document.activeElement) ? document.activeElement?.id : undefined;
  main.setAttribute('aria-busy', 'true');
  let result;
  try {
    result = await build(route);
  } catch (err) {
    result = { title: 'Error', node: errorScreen(err, { href: href('repos'), label: 'Back to the repositories' }) };
  }
  // A newer navigation started while this one loaded: it wins.
  if (ticket !== rendering) return;
  screen = result;
  main.replaceChildren(result.node);
  main.removeAttribute('aria-busy');
  document.title = `${result.title} · Content repository`;
  if (how.live) {
    if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
  } else {
    (document.getElementById('view-title') ?? main).focus();
  }
  // Only a repository that loaded is listened to (an unknown name would be refused, and retried).
  keepSubscription(result.repo);
}

/**
 * @param {import('./router.js').Route} route
 * @returns {Promise<{ title: string, node: Node, repo?: string, onRefUpdate?: (ev: any) => boolean|void }>}
 */
async function build(route) {
  if (route.name === 'signin') return signin.render({ route });
  if (route.name === 'repos') return repos.render();
  const view = SCREENS[/** @type {keyof typeof SCREENS} */ (route.name)];
  if (view === undefined || route.repo === undefined) return { title: 'Not found', node: errorScreen(new Error('There is no such page.'), { href: href('repos'), label: 'Back to the repositories' }) };
  const ctx = await loadRepoContext(route, { ownChange, refresh: () => render({ live: true }) });
  const inner = await view.render(ctx);
  return { ...inner, node: repoChrome(ctx, inner.node), repo: ctx.repoName };
}

let liveState = '';

function showLiveState() {
  const indicator = document.getElementById('live-state');
  if (indicator && liveState !== '') indicator.textContent = liveState === 'live' ? 'Live updates on' : 'Reconnecting to live updates…';
}

/** @param {string|undefined} repo */
function keepSubscription(repo) {
  if (events?.repo === repo) return showLiveState();
  events?.close();
  liveState = '';
  events =
    repo === undefined
      ? null
      : subscribe(repo, (ev) => void onRefUpdate(ev), (state) => {
          liveState = state;
          showLiveState();
        });
}

/** @param {RefUpdate} ev */
function describeUpdate(ev) {
  const short = (/** @type {string|null} */ id) => String(id).slice(0, 7);
  if (ev.ref.startsWith('refs/tags/')) return `Version ${ev.ref.slice(10)} was published by ${ev.actor}.`;
  const branch = ev.ref.replace(/^refs\/heads\//, '');
  if (ev.old === null) return `Branch ${branch} was created at ${short(ev.new)} by ${ev.actor}.`;
  if (ev.new === null) return `Branch ${branch} was deleted by ${ev.actor}.`;
  return `${branch} moved to ${short(ev.new)} by ${ev.actor}.`;
}

/**
 * Whether the screen shows something the update changed (it names the ref, or lists refs).
 * @param {import('./router.js').Route} route
 * @param {RefUpdate} ev
 */
function affects(route, ev) {
  if (['branches', 'tags', 'compare'].includes(route.name)) return true;
  if (!['tree', 'file', 'history'].includes(route.name)) return false;
  const shown = route.params.ref ?? document.getElementById('ref-select')?.getAttribute('data-default');
  return ev.ref === `refs/heads/${shown}` || ev.ref === `refs/tags/${shown}`;
}

/** @param {RefUpdate} ev */
async function onRefUpdate(ev) {
  await writesSettled();
  // "*": a write whose commit id the API does not answer (a DELETE's 204) expects one update.
  if (own.delete(`${ev.ref} ${ev.new}`) || own.delete(`${ev.ref} *`)) return;
  const route = parse(location.hash);
  if (route === null) return;
  const handled = screen?.onRefUpdate?.(ev) === true;
  if (handled || !affects(route, ev)) return showBanner(describeUpdate(ev));
  // Someone typing in a form keeps what they typed; they refresh when they are ready.
  const active = document.activeElement;
  const typing = active instanceof HTMLElement && main.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  if (typing) {
    const refresh = h('button', { type: 'button', class: 'link', onclick: () => render({ live: true }) }, 'Refresh now');
    return showBanner(describeUpdate(ev), [refresh, ' ']);
  }
  showBanner(`${describeUpdate(ev)} The view was refreshed.`);
  void render({ live: true });
}

let shownHash = location.hash;
let restoring = false;
window.addEventListener('hashchange', () => {
  if (restoring) {
    restoring = false;
    return;
  }
  if (location.hash !== shownHash && editor.hasUnsavedChanges() && !window.confirm('Leave this page? Your changes are not saved.')) {
    restoring = true;
    location.hash = shownHash;
    return;
  }
  shownHash = location.hash;
  void render();
});
window.addEventListener('api:unauthorized', () => {
  if (parse(location.hash)?.name === 'signin') return;
  signOut();
  flash('The server did not accept your token (it may have been revoked). Please sign in again.', 'error');
  go('signin', undefined, { next: location.hash });
});
document.getElementById('skip-link')?.addEventListener('click', (e) => {
  e.preventDefault();
  (document.getElementById('view-title') ?? main).focus();
});
void render();
