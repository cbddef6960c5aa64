/** Pieces several screens share: the page heading, errors, ref choosers, buttons that wait. */
import { h } from '../dom.js';
import { ApiError } from '../api.js';
import { href } from '../router.js';

/** The screen's one <h1>; focus moves here after navigation so screen readers start at the top. */
/**
 * @param {string} text
 * @param {...any} extra
 */
export function title(text, ...extra) {
  return h('h1', { id: 'view-title', tabindex: '-1' }, text, ...extra);
}

/**
 * A readable sentence for a failed request, from its problem+json body.
 * @param {unknown} err
 */
export function describe(err) {
  if (err instanceof ApiError) {
    if (err.status === 403) return `You may not do this: ${err.message}`;
    if (err.status === 0) return 'The server could not be reached.';
    return err.message;
  }
  if (err instanceof TypeError) return 'The server could not be reached; check your connection and try again.';
  return err instanceof Error ? err.message : String(err);
}

/**
 * A whole-screen failure (not found, forbidden, server down) with a way on.
 * @param {unknown} err
 * @param {{ href: string, label: string }} [back]
 */
export function errorScreen(err, back) {
  const status = err instanceof ApiError ? err.status : 0;
  const heading = status === 404 ? 'Not found' : status === 410 ? 'Deleted' : status === 403 ? 'Not allowed' : 'Something went wrong';
  return h('div', { class: 'error-screen' }, title(heading), h('p', {}, describe(err)), back ? h('p', {}, h('a', { href: back.href }, back.label)) : null);
}

/**
 * A <select> of branches and tags (optgroups), with `value` chosen.
 * @param {{ branches: any[], tags: any[], value: string, id?: string, includeTags?: boolean }} opts
 */
export function refSelect({ branches, tags, value, id, includeTags = true }) {
  const select = h('select', { id });
  select.appendChild(h('optgroup', { label: 'Branches' }, branches.map((b) => h('option', { value: b.name }, b.name))));
  if (includeTags && tags.length > 0) select.appendChild(h('optgroup', { label: 'Published versions (tags)' }, tags.map((t) => h('option', { value: t.name }, t.name))));
  const known = branches.some((b) => b.name === value) || (includeTags && tags.some((t) => t.name === value));
  if (!known && value) select.appendChild(h('option', { value }, value.length === 40 ? `commit ${value.slice(0, 7)}` : value));
  select.value = value;
  return select;
}

/**
 * Runs `action` with the button disabled and marked busy, so a double click never sends twice.
 * @param {HTMLButtonElement} button
 * @param {() => Promise<void>} action
 */
export async function busy(button, action) {
  if (button.disabled) return;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * An inline error under a form, announced through its role.
 * @param {HTMLElement} container
 * @param {string} message
 */
export function formError(container, message) {
  container.replaceChildren(message ? h('p', { class: 'form-error', role: 'alert' }, message) : '');
}

/**
 * Links to each folder above the file or folder shown; the last part is the current page.
 * @param {{ repoName: string, ref: string, defaultBranch: string }} ctx
 * @param {string} path
 */
export function pathCrumbs(ctx, path) {
  const parts = path.split('/').filter(Boolean);
  const ref = ctx.ref === ctx.defaultBranch ? undefined : ctx.ref;
  /** @type {Array<HTMLElement|string>} */
  const links = [parts.length === 0 ? h('span', { 'aria-current': 'page' }, ctx.repoName) : h('a', { href: href('tree', ctx.repoName, { ref }) }, ctx.repoName)];
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    links.push(' / ', (last ? h('span', { 'aria-current': 'page' }, part) : h('a', { href: href('tree', ctx.repoName, { ref, path: parts.slice(0, i + 1).join('/') }) }, part)));
  });
  return h('nav', { 'aria-label': 'Folder path', class: 'path-crumbs' }, links);
}
