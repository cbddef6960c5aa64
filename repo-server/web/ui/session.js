/**
 * The signed-in token lives in sessionStorage: it survives reloads of this tab, is not shared with
 * other tabs, and is gone when the tab closes. "Anonymous" is remembered too, for services run
 * without access control or repositories open to anonymous readers. Beside it, who the token is
 * (shown in the header) and whether it is a sign-in, which signing out ends on the server too.
 */
const KEY = 'content-repo.token';
const WHO = 'content-repo.who';
const ANONYMOUS = '(anonymous)';

/** @typedef {{ name: string, signIn: boolean }} Who */

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

/** @returns {Who|null} */
export function who() {
  try {
    const value = JSON.parse(sessionStorage.getItem(WHO) ?? 'null');
    return value !== null && typeof value.name === 'string' ? { name: value.name, signIn: value.signIn === true } : null;
  } catch {
    return null;
  }
}

/**
 * @param {string|null} token null: continue without a token
 * @param {Who} [identity]
 */
export function signIn(token, identity) {
  sessionStorage.setItem(KEY, token ?? ANONYMOUS);
  if (identity === undefined) sessionStorage.removeItem(WHO);
  else sessionStorage.setItem(WHO, JSON.stringify(identity));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(WHO);
}
