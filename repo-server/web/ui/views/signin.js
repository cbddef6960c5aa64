/** Sign-in with an API token (from the operator, or <DATA_DIR>/admin-token on a first start). */
import { h, field } from '../dom.js';
import * as api from '../api.js';
import { signIn, signOut } from '../session.js';
import { flash } from '../notices.js';
import { busy, formError, title } from './parts.js';

export function render({ route }) {
  const token = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true, class: 'wide' });
  const errors = h('div', { class: 'form-errors' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const next = route.params.next && route.params.next.startsWith('#/') && !route.params.next.startsWith('#/signin') ? route.params.next : '#/';

  /** A token is checked by listing repositories with it: 401 means the server does not know it. */
  const tryToken = async (value) => {
    signIn(value);
    try {
      await api.listRepos();
    } catch (err) {
      signOut();
      formError(errors, err instanceof api.ApiError && err.status === 401 ? 'The server did not accept this token. Check that it was copied whole.' : `Could not sign in: ${err.message}`);
      token.focus();
      return;
    }
    flash(value === null ? 'Browsing without a token.' : 'Signed in.');
    location.hash = next;
  };

  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (e) => {
        e.preventDefault();
        const value = token.value.trim();
        if (value === '') {
          formError(errors, 'Paste a token to sign in.');
          token.focus();
          return;
        }
        void busy(submit, () => tryToken(value));
      },
    },
    field('Access token', token, 'The token is kept only in this browser tab and sent with each request. On a first start of the server it is in the admin-token file of its data folder.'),
    errors,
    h('div', { class: 'actions' }, submit, h('button', { type: 'button', onclick: (e) => void busy(e.currentTarget, () => tryToken(null)) }, 'Continue without a token')),
  );
  return { title: 'Sign in', node: h('div', {}, title('Sign in'), form) };
}
