import type { Writable } from 'node:stream';

/**
 * Bytes out to the HTTP response with backpressure: a clone streams a pack far larger than
 * the socket buffer, so every write waits for 'drain' instead of queueing the whole pack in
 * memory. `closed` turns true when the client went away, so producers can stop early.
 */
export class ResponseSink {
  private closedFlag = false;

  constructor(private readonly out: Writable) {
    out.once('close', () => {
      this.closedFlag = true;
    });
  }

  get closed(): boolean {
    return this.closedFlag || this.out.destroyed;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.closed || chunk.length === 0) return;
    if (this.out.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        resolve();
      };
      this.out.once('drain', done);
      this.out.once('close', done);
    });
  }

  end(): void {
    if (!this.out.writableEnded) this.out.end();
  }
}
