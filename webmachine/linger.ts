import type { IncomingMessage, ServerResponse } from 'node:http';

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
 */
export function lingerAfterResponse(incoming: IncomingMessage, outgoing: ServerResponse, limits: LingerLimits = DEFAULT_LINGER): void {
  const start = (): void => {
    if (incoming.complete || incoming.destroyed) return;
    let seen = 0;
    let idle: NodeJS.Timeout | undefined;
    const stop = (): void => {
      clearTimeout(idle);
      clearTimeout(total);
      incoming.off('data', onData);
      incoming.off('end', stop);
      incoming.off('close', stop);
    };
    const cut = (): void => {
      stop();
      incoming.socket?.destroy();
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
  };
  if (outgoing.writableFinished) start();
  else outgoing.once('finish', start);
}
