/**
 * The REST API, one function per operation this client uses. Every request carries the token as
 * a Bearer credential; every failure becomes an ApiError holding the problem+json body (RFC 9457),
 * whose fields (conflicts, current, what) the views show.
 */
import { getToken } from './session.js';

/** Metadata of a file; plain application/json would be a .json file's own bytes. */
const FILE_METADATA_TYPE = 'application/vnd.content-repo.file+json';

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Record<string, any>} problem
   */
  constructor(status, problem) {
    super(String(problem.detail ?? problem.title ?? `The server answered ${status}.`));
    this.status = status;
    this.problem = problem;
  }
}

/**
 * A repository, branch or tag name as one or more encoded path segments ("/" is kept).
 * @param {string} name
 */
export function segments(name) {
  return String(name).split('/').filter((s) => s !== '').map(encodeURIComponent).join('/');
}

/** @param {string} repo */
function repoPath(repo) {
  return `/repos/${encodeURIComponent(repo)}`;
}

/**
 * @param {string} path
 * @param {Record<string, string|number|undefined|null>} [query]
 */
function withQuery(path, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? path : `${path}?${s}`;
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{ query?: Record<string, any>, headers?: Record<string, string>, body?: BodyInit, json?: unknown, accept?: string }} [opts]
 * @returns {Promise<Response>}
 */
async function send(method, path, opts = {}) {
  const headers = new Headers(opts.headers ?? {});
  headers.set('Accept', opts.accept ?? 'application/json');
  const token = getToken();
  if (token !== null) headers.set('Authorization', `Bearer ${token}`);
  let body = opts.body;
  if (opts.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.json);
  }
  // no-cache: always revalidate (the API answers 304 to the ETag); a view never shows stale refs.
  const res = await fetch(withQuery(path, opts.query), { method, headers, body, cache: 'no-cache' });
  if (res.ok) return res;
  const type = res.headers.get('content-type') ?? '';
  const problem = type.includes('json') ? await res.json().catch(() => ({})) : { detail: (await res.text().catch(() => '')).slice(0, 500) };
  // Any 401 means the token is no longer good: the app sends the user back to sign in.
  if (res.status === 401) window.dispatchEvent(new CustomEvent('api:unauthorized'));
  throw new ApiError(res.status, problem);
}

/** Writes in flight; the app waits for them before deciding whether a ref update was its own. */
let writing = 0;
/** @type {Array<() => void>} */
let idle = [];

/**
 * Marks a write as in flight until it and the code awaiting it have run: its own ref update may
 * arrive on the WebSocket before its HTTP response does.
 * @template {any[]} A, R
 * @param {(...args: A) => Promise<R>} fn
 * @returns {(...args: A) => Promise<R>}
 */
function tracked(fn) {
  return async (...args) => {
    writing++;
    try {
      return await fn(...args);
    } finally {
      writing--;
      if (writing === 0) {
        const waiting = idle;
        idle = [];
        // A macrotask later: the caller's continuation (which records the commit) has run.
        setTimeout(() => waiting.forEach((resolve) => resolve()), 0);
      }
    }
  };
}

/** Resolves once no write of this tab is in flight. */
export function writesSettled() {
  return writing === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(() => resolve(undefined)));
}

/**
 * @param {Response} res
 * @returns {Promise<any>}
 */
async function json(res) {
  return res.status === 204 ? null : res.json();
}

/**
 * Every item of a paginated list: 100 a page, following the Link header's rel="next" (an absolute
 * URL of this same server) to the end.
 * @param {string} path
 * @param {string} key the list's name in the body
 * @returns {Promise<any[]>}
 */
async function everyPage(path, key) {
  const items = [];
  /** @type {string|null} */
  let next = withQuery(path, { per_page: 100 });
  while (next !== null) {
    const res = await send('GET', next);
    items.push(...(await json(res))[key]);
    const link = /<([^>]*)>\s*;\s*rel="next"/.exec(res.headers.get('link') ?? '');
    const url = link === null ? null : new URL(link[1] ?? '', location.href);
    next = url === null ? null : url.pathname + url.search;
  }
  return items;
}

// Repositories

export async function listRepos() {
  return everyPage('/repos', 'repositories');
}

/** @param {string} repo */
export async function getRepo(repo) {
  return json(await send('GET', repoPath(repo)));
}

/** Creates only: If-None-Match: * makes an existing name a 412 instead of an update. */
export const createRepo = tracked(async (/** @type {string} */ repo, /** @type {{ description?: string, defaultBranch?: string }} */ { description, defaultBranch }) => {
  /** @type {Record<string, string>} */
  const body = {};
  if (description) body.description = description;
  if (defaultBranch) body.defaultBranch = defaultBranch;
  return json(await send('PUT', repoPath(repo), { json: body, headers: { 'If-None-Match': '*' } }));
});

// Branches and tags

/** @param {string} repo */
export async function listBranches(repo) {
  return everyPage(`${repoPath(repo)}/branches`, 'branches');
}

export const createBranch = tracked(async (/** @type {string} */ repo, /** @type {string} */ name, /** @type {string} */ from) => {
  return json(await send('PUT', `${repoPath(repo)}/branches/${segments(name)}`, { json: { from } }));
});

/** Deleting is conditional on the head the user saw, so a branch that moved meanwhile is kept. */
export const deleteBranch = tracked(async (/** @type {string} */ repo, /** @type {string} */ name, /** @type {string} */ commit) => {
  await send('DELETE', `${repoPath(repo)}/branches/${segments(name)}`, { headers: { 'If-Match': `"${commit}"` } });
});

/** @param {string} repo */
export async function listTags(repo) {
  return everyPage(`${repoPath(repo)}/tags`, 'tags');
}

/** @returns {Promise<{ tag: any, created: boolean }>} created false: the same tag already existed */
export const publishTag = tracked(async (/** @type {string} */ repo, /** @type {string} */ name, /** @type {string} */ ref, /** @type {string} */ message) => {
  const res = await send('PUT', `${repoPath(repo)}/tags/${segments(name)}`, { json: { ref, message } });
  return { tag: await json(res), created: res.status === 201 };
});

// Contents

/**
 * @param {string} repo
 * @param {string} path
 */
function contentsPath(repo, path) {
  const p = segments(path);
  return p === '' ? `${repoPath(repo)}/contents` : `${repoPath(repo)}/contents/${p}`;
}

/**
 * A folder listing {path, id, commit, entries}.
 * @param {string} repo
 * @param {string} ref
 * @param {string} path
 */
export async function getFolder(repo, ref, path) {
  return json(await send('GET', contentsPath(repo, path), { query: { ref } }));
}

/**
 * A file's metadata {id (blob), size, mediaType, commit, lastCommit}. The blob id comes from here,
 * not from the bytes' ETag, which carries a "-gzip" suffix when the browser gets it compressed.
 * @param {string} repo
 * @param {string} ref
 * @param {string} path
 */
export async function getFileMeta(repo, ref, path) {
  return json(await send('GET', contentsPath(repo, path), { query: { ref }, accept: FILE_METADATA_TYPE }));
}

/**
 * @param {string} repo
 * @param {string} ref
 * @param {string} path
 * @returns {Promise<Blob>} the file's bytes
 */
export async function getFileBlob(repo, ref, path) {
  return (await send('GET', contentsPath(repo, path), { query: { ref }, accept: '*/*' })).blob();
}

/**
 * Writes one file in one commit on `branch`. `expected`: the blob id the edit started from
 * (If-Match), or null for a file that must not exist yet (If-None-Match: *).
 * @param {string} repo
 * @param {{ branch: string, path: string, content: BodyInit, message: string, expected?: string|null }} write
 * @returns {Promise<{ id: string, commit: string, created: boolean }>}
 */
export const putFile = tracked(async (repo, { branch, path, content, message, expected }) => {
  /** @type {Record<string, string>} */
  const headers = { 'Content-Type': 'application/octet-stream' };
  if (typeof expected === 'string') headers['If-Match'] = `"${expected}"`;
  if (expected === null) headers['If-None-Match'] = '*';
  const res = await send('PUT', contentsPath(repo, path), { query: { branch, message }, headers, body: content });
  const body = await json(res);
  return { id: body.id, commit: body.commit, created: res.status === 201 };
});

export const deleteFile = tracked(async (/** @type {string} */ repo, /** @type {{ branch: string, path: string, message: string, expected: string }} */ { branch, path, message, expected }) => {
  await send('DELETE', contentsPath(repo, path), { query: { branch, message }, headers: { 'If-Match': `"${expected}"` } });
});

// History, compare, merge

/**
 * @param {string} repo
 * @param {{ ref: string, path?: string, cursor?: string, perPage?: number }} page
 * @returns {Promise<{ commits: any[], next: string|null }>} newest first; `next` is the next page's cursor
 */
export async function history(repo, { ref, path, cursor, perPage }) {
  return json(await send('GET', `${repoPath(repo)}/commits`, { query: { ref, path, cursor, per_page: perPage } }));
}

/**
 * @param {string} repo
 * @param {string} id
 */
export async function getCommit(repo, id) {
  return json(await send('GET', `${repoPath(repo)}/commits/${encodeURIComponent(id)}`));
}

/**
 * @param {string} repo
 * @param {string} base
 * @param {string} head
 */
function comparePath(repo, base, head) {
  return `${repoPath(repo)}/compare/${segments(base)}...${segments(head)}`;
}

/**
 * {aheadBy, behindBy, status, mergeBase, files} of head against base.
 * @param {string} repo
 * @param {string} base
 * @param {string} head
 */
export async function compare(repo, base, head) {
  return json(await send('GET', comparePath(repo, base, head)));
}

/**
 * The unified diff of head against the merge base (git diff base...head).
 * @param {string} repo
 * @param {string} base
 * @param {string} head
 */
export async function compareDiff(repo, base, head) {
  return (await send('GET', comparePath(repo, base, head), { accept: 'text/x-diff' })).text();
}

/**
 * @returns {Promise<{ outcome: string, previous?: string, commit?: any } | null>} null: nothing to merge
 * A 409 throws an ApiError whose problem lists `conflicts` [{path, kind}].
 */
export const merge = tracked(async (/** @type {string} */ repo, /** @type {{ base: string, head: string, message?: string }} */ { base, head, message }) => {
  return json(await send('POST', `${repoPath(repo)}/merges`, { json: { base, head, ...(message ? { message } : {}) } }));
});

/**
 * What merging head into base would do now, every conflict described (GET /merges/{base}...{head}),
 * and the ETag that names the two commits: committing the resolution is conditional on it.
 * @param {string} repo
 * @param {string} base
 * @param {string} head
 * @returns {Promise<{ preview: any, etag: string }>}
 */
export async function mergePreview(repo, base, head) {
  const res = await send('GET', `${repoPath(repo)}/merges/${segments(base)}...${segments(head)}`);
  return { preview: await res.json(), etag: res.headers.get('ETag') ?? '' };
}

/**
 * Commits the merge of exactly the two commits `etag` names, with a resolution for every conflict.
 * @param {string} repo
 * @param {{ base: string, head: string, etag: string, message: string, resolutions: Array<Record<string, unknown>> }} merge
 * @returns {Promise<{ outcome: string, previous: string, commit: any } | null>}
 */
export const commitResolvedMerge = tracked(async (repo, { base, head, etag, message, resolutions }) => {
  const res = await send('POST', `${repoPath(repo)}/merges/${segments(base)}...${segments(head)}`, { json: { message, resolutions }, headers: { 'If-Match': etag } });
  return json(res);
});

// Signing in

/**
 * Signs in with a user name and password: a token for some hours, with the user's roles, that
 * credits the user's commits. A 401 (wrong name or password) and 429 (too many tries) throw.
 * @param {string} user
 * @param {string} password
 * @returns {Promise<{ token: string, expiresAt: string, user: { name: string, displayName: string, email: string } }>}
 */
export async function signInWithPassword(user, password) {
  return json(await send('POST', '/sessions', { json: { user, password } }));
}

/** Who the current token is: {name, grants, user?, email?, expiresAt?}. */
export async function whoAmI() {
  return json(await send('GET', '/sessions/current'));
}

/** Ends this tab's sign-in on the server (its token stops working everywhere at once). */
export async function endSession() {
  await send('DELETE', '/sessions/current');
}
