/**
 * Memory given back when a front end goes quiet. V8 keeps a heap grown by a push or a clone
 * (garbage by then, mostly) until the heap next fills, which an idle server never does: measured,
 * 285 MiB of heap still "used" a minute and a half after three clones, 35 MiB after one full
 * collection. So once no request has been in flight for `quietMs`, and since the last collection
 * the heap grew or caches let go of (dropped, evicted, forgotten) COLLECT_GROWTH or more, one full
 * collection runs (a pause of a few tens of milliseconds, when nobody waits). Caches drop what
 * nobody used for their idle time every `trimEveryMs` (`trim`), busy or not.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleMemoryOptions {
  /** Drops what caches kept unused. */
  trim: () => void;
  /** Bytes caches have let go of so far, in all (a counter that only grows). */
  released: () => number;
  trimEveryMs: number;
  /** Quiet time before a collection (default 5 s). */
  quietMs?: number;
}

/** Heap growth, or bytes let go, since the last collection that make a quiet spell worth one. */
const COLLECT_GROWTH = 32 * 1024 * 1024;

/** V8's full collection: the function --expose-gc installs, taken from a fresh context so the process needs no flag. */
function fullCollection(): (() => void) | null {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

function heapUsed(): number {
  return getHeapStatistics().used_heap_size;
}

export class IdleMemory {
  private inFlight = 0;
  private lastActive = Date.now();
  private trimmedAt = Date.now();
  private baseline = heapUsed();
  private releasedBefore = 0;
  private readonly quietMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly collect = fullCollection();
  /** Full collections run so far. */
  collections = 0;

  constructor(private readonly opts: IdleMemoryOptions) {
    this.quietMs = opts.quietMs ?? 5_000;
    this.timer = setInterval(() => this.check(), Math.max(500, Math.min(this.quietMs, opts.trimEveryMs) / 2));
    this.timer.unref();
  }

  /** A request started; call the answer when it is done. */
  begin(): () => void {
    this.inFlight++;
    this.lastActive = Date.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.lastActive = Date.now();
    };
  }

  check(now = Date.now()): void {
    if (now - this.trimmedAt >= this.opts.trimEveryMs) {
      this.trimmedAt = now;
      this.opts.trim();
    }
    if (this.collect === null || this.inFlight > 0 || now - this.lastActive < this.quietMs) return;
    const released = this.opts.released();
    if (heapUsed() < this.baseline + COLLECT_GROWTH && released < this.releasedBefore + COLLECT_GROWTH) return;
    this.collect();
    this.collections++;
    this.baseline = heapUsed();
    this.releasedBefore = released;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
