/**
 * Signing in: with a user name and password (the server answers a token for some hours that
 * credits the user's commits), or with an access token from an operator (on a first start of the
 * server, <DATA_DIR>/admin-token), or, where the service allows it, without either.
 */
import { h, field } from '../dom.js';
import * as api from '../api.js';
import { signIn, signOut } from '../session.js';
import { flash } from '../notices.js';
import { busy, formError, title } from './parts.js';

/** @param {{ route: import('../router.js').Route }} screen */
export function render({ route }) {
  const next = route.params.next && route.params.next.startsWith('#/') && !route.params.next.startsWith('#/signin') ? route.params.next : '#/';
  const go = () => {
    location.hash = next;
  };

  const user = /** @type {HTMLInputElement} */ (h('input', { id: 'user', name: 'username', autocomplete: 'username', spellcheck: 'false', required: true, class: 'wide' }));
  const password = /** @type {HTMLInputElement} */ (h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password', required: true, class: 'wide' }));
  const passwordErrors = h('div', { class: 'form-errors' });
  const passwordSubmit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', class: 'primary', id: 'password-signin' }, 'Sign in'));
  const passwordForm = h(
    'form',
    {
      class: 'card narrow',
      'aria-labelledby': 'password-heading',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        if (user.value.trim() === '' || password.value === '') {
          formError(passwordErrors, 'Give your user name and password.');
          (user.value.trim() === '' ? user : password).focus();
          return;
        }
        void busy(passwordSubmit, async () => {
          signOut();
          let session;
          try {
            session = await api.signInWithPassword(user.value.trim(), password.value);
          } catch (err) {
            const status = err instanceof api.ApiError ? err.status : 0;
            formError(passwordErrors, status === 401 ? 'That user name and password do not match. Check both and try again.' : status === 429 ? `Too many failed attempts: ${err instanceof Error ? err.message : ''}` : `Could not sign in: ${err instanceof Error ? err.message : String(err)}`);
            password.value = '';
            password.focus();
            return;
          }
          signIn(session.token, { name: session.user.displayName, signIn: true });
          flash(`Signed in as ${session.user.displayName}. Your changes are saved under your name.`);
          go();
        });
      },
    },
    h('h2', { id: 'password-heading' }, 'With your user name'),
    field('User name', user),
    field('Password', password),
    passwordErrors,
    h('div', { class: 'actions' }, passwordSubmit),
  );

  const token = /** @type {HTMLInputElement} */ (h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, class: 'wide' }));
  const tokenErrors = h('div', { class: 'form-errors' });
  const tokenSubmit = /** @type {HTMLButtonElement} */ (h('button', { type: 'submit', id: 'token-signin' }, 'Sign in with the token'));

  /**
   * A token is checked by listing repositories with it: 401 means the server does not know it.
   * @param {string|null} value
   */
  const tryToken = async (value) => {
    signIn(value);
    try {
      await api.listRepos();
    } catch (err) {
      signOut();
      formError(tokenErrors, err instanceof api.ApiError && err.status === 401 ? 'The server did not accept this token. Check that it was copied whole.' : `Could not sign in: ${err instanceof Error ? err.message : String(err)}`);
      token.focus();
      return;
    }
    if (value !== null) {
      const me = await api.whoAmI().catch(() => null);
      signIn(value, { name: me?.name ?? 'a token', signIn: me?.user !== undefined });
    }
    flash(value === null ? 'Browsing without a token.' : 'Signed in.');
    go();
  };

  const tokenForm = h(
    'form',
    {
      class: 'card narrow',
      'aria-labelledby': 'token-heading',
      onsubmit: (/** @type {Event} */ e) => {
        e.preventDefault();
        const value = token.value.trim();
        if (value === '') {
          formError(tokenErrors, 'Paste a token to sign in.');
          token.focus();
          return;
        }
        void busy(tokenSubmit, () => tryToken(value));
      },
    },
    h('h2', { id: 'token-heading' }, 'Or with an access token'),
    field('Access token', token, 'Kept only in this browser tab and sent with each request. On a first start of the server it is in the admin-token file of its data folder.'),
    tokenErrors,
    h(
      'div',
      { class: 'actions' },
      tokenSubmit,
      h('button', { type: 'button', onclick: (/** @type {Event} */ e) => void busy(/** @type {HTMLButtonElement} */ (e.currentTarget), () => tryToken(null)) }, 'Continue without a token'),
    ),
  );
  return { title: 'Sign in', node: h('div', {}, title('Sign in'), passwordForm, tokenForm) };
}
