import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How much of a refused body is read and dropped so the client can read the answer (nginx's lingering close). */
export interface LingerLimits {
  bytes: number;
  /** Longest wait for the next bytes. */
  idleMs: number;
  /** Longest lingering in all. */
  totalMs: number;
}

export const DEFAULT_LINGER: LingerLimits = { bytes: 64 * 1024 * 1024, idleMs: 5_000, totalMs: 30_000 };

/**
 * A response sent before the request body was read (413, 401...) must not be followed by closing
 * the socket at once: the client is still sending, the unread bytes make the kernel answer with a
 * reset, and the client sees EPIPE or ECONNRESET instead of the answer. So once the answer is out,
 * the rest of the body is read and dropped (Node's parser knows where it ends, so the connection
 * may even be reused), bounded in bytes and time; past a bound the socket is destroyed.
 *
 * When the answer is the connection's last (the client sent `Connection: close`), Node destroys
 * the socket as soon as the answer is written, which is that reset again: the destroy is held
 * back until the lingering ends, and meanwhile the socket is only half-closed (the answer and a
 * FIN go out, reading goes on). Call before the answer is written.
 */
export function lingerAfterResponse(incoming: IncomingMessage, limits: LingerLimits = DEFAULT_LINGER): void {
  const socket = incoming.socket as Socket | null;
  let lingering = true;
  let closeWanted = false;
  const over = (): void => {
    lingering = false;
    if (closeWanted) socket?.destroy();
  };
  if (socket !== null && !incoming.complete) {
    const destroySoon = socket.destroySoon;
    socket.destroySoon = function (this: Socket): void {
      if (!lingering) return destroySoon.call(this);
      closeWanted = true;
      this.end();
    };
  }
  // Read from now on, not from the answer's end: Node discards an unread body once the answer is
  // written (IncomingMessage._dump), without a bound and out of this function's sight.
  if (incoming.complete || incoming.destroyed) return over();
  let seen = 0;
  let idle: NodeJS.Timeout | undefined;
  const stop = (): void => {
    clearTimeout(idle);
    clearTimeout(total);
    incoming.off('data', onData);
    incoming.off('end', stop);
    incoming.off('close', stop);
    over();
  };
  const cut = (): void => {
    stop();
    socket?.destroy();
  };
  const total = setTimeout(cut, limits.totalMs).unref();
  const wait = (): void => {
    clearTimeout(idle);
    idle = setTimeout(cut, limits.idleMs).unref();
  };
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > limits.bytes) cut();
    else wait();
  };
  incoming.on('data', onData);
  incoming.once('end', stop);
  incoming.once('close', stop);
  wait();
  incoming.resume();
}
