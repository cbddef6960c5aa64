/**
 * Routes live in the URL's fragment (#/repo/book/file?ref=main&path=a.md): the server only ever
 * serves "/", nothing can collide with an API path, and every screen has a link that can be
 * bookmarked, shared and reached with Back. Branch names and paths may contain "/", so they go
 * in the query part, never in the path part.
 */

export const REPO_VIEWS = ['tree', 'file', 'edit', 'history', 'commit', 'branches', 'compare', 'tags'];

/**
 * @typedef {{ name: string, repo?: string, params: Record<string, string> }} Route
 */

/**
 * @param {string} hash
 * @returns {Route|null} null: not a route of this client (for example the skip link's #main)
 */
export function parse(hash) {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (text === '' || text === '/') return { name: 'repos', params: {} };
  if (!text.startsWith('/')) return null;
  const [pathPart, queryPart = ''] = text.split('?', 2);
  const params = Object.fromEntries(new URLSearchParams(queryPart));
  const parts = pathPart.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts[0] === 'signin' && parts.length === 1) return { name: 'signin', params };
  if (parts[0] === 'repo' && parts[1] !== undefined && parts.length <= 3) {
    const view = parts[2] ?? 'tree';
    if (REPO_VIEWS.includes(view)) return { name: view, repo: parts[1], params };
  }
  return { name: 'not-found', params: {} };
}

/**
 * The href of a route.
 * @param {string} name
 * @param {string} [repo]
 * @param {Record<string, string|undefined|null>} [params]
 */
export function href(name, repo, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const query = q.toString() === '' ? '' : `?${q}`;
  if (name === 'repos') return '#/';
  if (name === 'signin') return `#/signin${query}`;
  return `#/repo/${encodeURIComponent(repo ?? '')}/${name}${query}`;
}

/**
 * @param {string} name
 * @param {string} [repo]
 * @param {Record<string, string|undefined|null>} [params]
 */
export function go(name, repo, params) {
  const target = href(name, repo, params);
  // Going to the screen already shown fires no hashchange; draw it again all the same.
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = target;
}
