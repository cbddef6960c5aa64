/**
 * The /events WebSocket of one repository. Browsers cannot set headers on a WebSocket request,
 * and a token in the URL would be kept by proxies' logs: each connection brings a one-time ticket
 * asked for with the token (POST /events/tickets). On a dropped connection it reconnects with
 * ?since= the last position it saw, so a ref update made meanwhile is still delivered, once.
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

  const retry = () => {
    if (closed) return;
    onState('reconnecting');
    timer = window.setTimeout(() => void open(), delay);
    delay = Math.min(delay * 2, 15_000);
  };

  const open = async () => {
    const q = new URLSearchParams({ repo });
    const token = getToken();
    if (token !== null) {
      try {
        const res = await fetch('/events/tickets', { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
        if (!res.ok) throw new Error(`ticket: ${res.status}`);
        q.set('ticket', (await res.json()).ticket);
      } catch {
        retry();
        return;
      }
    }
    if (closed) return;
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
    socket.onclose = retry;
  };
  void open();
  return {
    repo,
    close() {
      closed = true;
      window.clearTimeout(timer);
      socket?.close();
    },
  };
}
