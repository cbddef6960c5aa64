import type { Readable } from 'node:stream';

/** Bytes read ahead of the reader before the source is paused. */
const READ_AHEAD = 1024 * 1024;

/** The stream closed before its end: the client went away (an expected condition, not a fault). */
export class ClientGone extends Error {
  constructor(cause?: unknown) {
    super('the client went away before the request ended', cause === undefined ? undefined : { cause });
    this.name = 'ClientGone';
  }
}

export interface ChunkSource extends AsyncIterable<Buffer> {
  /** Stops listening without touching the stream: the caller decides what happens to the rest. */
  release(): void;
}

/**
 * A readable stream's chunks as an async iterable that, unlike the stream's own iterator, never
 * destroys the stream when the reader stops early: a refused push must still be able to drain
 * the request (or linger) so that the client reads the answer. A stream that closes before its
 * end (the client went away) fails the iteration.
 */
export function readableChunks(stream: Readable): ChunkSource {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onData = (chunk: Buffer): void => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= READ_AHEAD) stream.pause();
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onError = (e: Error): void => {
    // A request stream fails only when its connection does.
    failure ??= e instanceof ClientGone || (e as { code?: unknown }).code === 'ECONNRESET' || e.message === 'aborted' ? new ClientGone(e) : e;
    notify();
  };
  const onClose = (): void => {
    if (!ended) failure ??= new ClientGone();
    notify();
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.on('error', onError);
  stream.once('close', onClose);
  return {
    release(): void {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      // A stream with no error listener would throw an error that comes later.
      stream.on('error', () => undefined);
      stream.pause();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
      for (;;) {
        const chunk = queue.shift();
        if (chunk !== undefined) {
          queued -= chunk.length;
          if (queued < READ_AHEAD && stream.isPaused()) stream.resume();
          yield chunk;
          continue;
        }
        if (failure !== null) throw failure;
        if (ended) return;
        if (stream.isPaused()) stream.resume();
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
