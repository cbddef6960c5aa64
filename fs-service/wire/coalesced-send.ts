import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

const corked = new WeakSet<Socket>();

/**
 * Sends one binary message; every message sent to the same peer in this turn of the event loop
 * leaves in the same write. Under load many requests reach one shard connection per turn, and
 * on loopback each write costs a system call plus the receiver's TCP work, billed to the sender
 * (measured: a fifth of a front end's CPU went to one write per frame). ws has no public cork,
 * so its socket is corked until setImmediate, which runs once this turn's I/O callbacks are done.
 */
export function sendCoalesced(ws: WebSocket, data: Buffer): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (socket !== undefined && !corked.has(socket) && !socket.destroyed) {
    corked.add(socket);
    socket.cork();
    setImmediate(() => {
      corked.delete(socket);
      socket.uncork();
    });
  }
  ws.send(data, { binary: true });
}
