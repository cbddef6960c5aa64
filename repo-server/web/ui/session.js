/**
 * The signed-in token lives in sessionStorage: it survives reloads of this tab, is not shared with
 * other tabs, and is gone when the tab closes. "Anonymous" is remembered too, for services run
 * without access control or repositories open to anonymous readers.
 */
const KEY = 'content-repo.token';
const ANONYMOUS = '(anonymous)';

/** @returns {string|null} the token, or null (anonymous or signed out) */
export function getToken() {
  const value = sessionStorage.getItem(KEY);
  return value === null || value === ANONYMOUS ? null : value;
}

/** Whether this tab has chosen a token, or chosen to go on without one. */
export function isSignedIn() {
  return sessionStorage.getItem(KEY) !== null;
}

export function isAnonymous() {
  return sessionStorage.getItem(KEY) === ANONYMOUS;
}

/** @param {string|null} token null: continue without a token */
export function signIn(token) {
  sessionStorage.setItem(KEY, token ?? ANONYMOUS);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}
