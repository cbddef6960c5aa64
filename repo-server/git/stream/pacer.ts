/** How long synchronous work may hold the event loop before other requests get a turn. */
export const SLICE_MS = 4;

/**
 * Cuts long synchronous work (parsing, hashing, inflating many small objects) into slices:
 * `turn()` yields to the event loop once a slice's time is used up, so a large push never stalls
 * the requests of others on the same process.
 */
export class Pacer {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  async turn(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }

  /** Called after an await that already let others run. */
  rested(): void {
    this.sliceStart = performance.now();
  }
}
