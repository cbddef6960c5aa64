/**
 * The /events WebSocket of one repository. Browsers cannot set headers on a WebSocket request,
 * so the token goes in ?access_token=. On a dropped connection it reconnects with ?since= the
 * last position it saw, so a ref update made meanwhile is still delivered, once.
 */
import { getToken } from './session.js';

/**
 * @param {string} repo
 * @param {(event: { ref: string, old: string|null, new: string|null, actor: string, via: string, at: string, seq?: number }) => void} onUpdate
 * @param {(state: 'live'|'reconnecting') => void} [onState]
 * @returns {{ repo: string, close(): void }}
 */
export function subscribe(repo, onUpdate, onState = () => {}) {
  let socket = /** @type {WebSocket|null} */ (null);
  let position = /** @type {number|null} */ (null);
  let closed = false;
  let delay = 500;
  let timer = 0;

  const open = () => {
    const q = new URLSearchParams({ repo });
    const token = getToken();
    if (token !== null) q.set('access_token', token);
    if (position !== null) q.set('since', String(position));
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/events?${q}`);
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (data.type === 'subscribed') {
        position = data.position;
        delay = 500;
        onState('live');
      } else if (data.type === 'ref-updated') {
        if (typeof data.seq === 'number') position = data.seq;
        onUpdate(data);
      }
    };
    socket.onclose = () => {
      if (closed) return;
      onState('reconnecting');
      timer = window.setTimeout(open, delay);
      delay = Math.min(delay * 2, 15_000);
    };
  };
  open();
  return {
    repo,
    close() {
      closed = true;
      window.clearTimeout(timer);
      socket?.close();
    },
  };
}
