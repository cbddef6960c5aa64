import type { RepoStore } from '../../../fs-service/index.js';
import { isNotFound } from '../../../fs-service/index.js';

/** One part written to storage in one call (one frame in a cluster, replicated as one write). */
export const PART_BYTES = 4 * 1024 * 1024;
/** Parts written at once: enough to keep the storage busy while the next part fills. */
const PARTS_IN_FLIGHT = 2;

/**
 * A file written front to back in parts of PART_BYTES, whatever its size (a pushed pack of
 * gigabytes): memory holds the part being filled and at most PARTS_IN_FLIGHT parts on their way.
 * `append` never waits; `backpressure` does, and a failed write surfaces there or in `flush`.
 */
export class PartFile {
  private part: Buffer;
  private filled = 0;
  private written = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown = null;

  constructor(
    private readonly store: RepoStore,
    readonly path: string,
    private readonly partBytes = PART_BYTES,
  ) {
    this.part = Buffer.allocUnsafe(partBytes);
  }

  /** Bytes appended so far (the file's length once flushed). */
  get size(): number {
    return this.written + this.filled;
  }

  append(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, this.partBytes - this.filled);
      bytes.copy(this.part, this.filled, at, at + n);
      this.filled += n;
      at += n;
      if (this.filled === this.partBytes) this.send();
    }
  }

  /** Sets where the next append lands (earlier bytes are kept; later ones are overwritten or left). */
  async seek(offset: number): Promise<void> {
    await this.flush();
    this.written = offset;
  }

  private send(): void {
    if (this.filled === 0) return;
    const data = this.part.subarray(0, this.filled);
    const offset = this.written;
    this.written += this.filled;
    this.part = Buffer.allocUnsafe(this.partBytes);
    this.filled = 0;
    const write: Promise<void> = this.store.writePart(this.path, offset, data).then(
      () => void this.inFlight.delete(write),
      (e: unknown) => {
        this.inFlight.delete(write);
        this.failure ??= e;
      },
    );
    this.inFlight.add(write);
  }

  /** Waits while too many parts are on their way. */
  async backpressure(): Promise<void> {
    while (this.inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(this.inFlight);
    if (this.failure !== null) throw this.failure;
  }

  /** Sends the part being filled and waits for every write. */
  async flush(): Promise<void> {
    this.send();
    await Promise.all(this.inFlight);
    if (this.failure !== null) throw this.failure;
  }

  /** Rewrites bytes already flushed (a pack's object count, its trailer). */
  async writeAt(offset: number, bytes: Buffer): Promise<void> {
    await this.flush();
    await this.store.writePart(this.path, offset, bytes);
  }

  /** Removes whatever was written; a file never written is not an error. */
  async discard(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.store.fs.promises.unlink(this.path).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
  }
}
