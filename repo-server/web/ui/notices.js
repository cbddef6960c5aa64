/**
 * Messages for everyone: a polite status line (saved, merged, published), an assertive alert
 * for failures, and the live-update banner. The regions are in index.html from the start, so
 * screen readers announce what is written into them.
 */
import { h } from './dom.js';

const byId = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @param {string} message
 * @param {'ok'|'error'} [kind]
 */
export function announce(message, kind = 'ok') {
  const region = byId(kind === 'error' ? 'alerts' : 'notices');
  const note = h('p', { class: `notice notice-${kind}` }, message, ' ', h('button', { type: 'button', class: 'link', onclick: () => note.remove() }, 'Dismiss'));
  region.replaceChildren(note);
}

/** @type {{ message: string, kind: 'ok'|'error' } | null} */
let pending = null;

/**
 * A message for the next screen: navigation clears old notices, then shows this one.
 * @param {string} message
 */
export function flash(message, kind = /** @type {'ok'|'error'} */ ('ok')) {
  pending = { message, kind };
}

/** On navigation: the new screen shows the current state, so old news goes. */
export function clearNotices() {
  byId('notices').replaceChildren();
  byId('alerts').replaceChildren();
  byId('live-banner').replaceChildren();
  if (pending !== null) announce(pending.message, pending.kind);
  pending = null;
}

/**
 * "main moved to abc1234 by ana": one banner at a time, the newest wins.
 * @param {string} text
 * @param {Array<HTMLElement|string>} [actions]
 */
export function showBanner(text, actions = []) {
  const banner = byId('live-banner');
  const close = h('button', { type: 'button', class: 'link', onclick: () => banner.replaceChildren() }, 'Dismiss');
  banner.replaceChildren(h('p', { class: 'banner-text' }, h('span', { class: 'banner-label' }, 'Live update: '), text, ' ', ...actions, close));
}
