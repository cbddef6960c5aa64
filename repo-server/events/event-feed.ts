import { readEventsAfter, readSeq, type RefUpdatedEvent } from '../git/index.js';
import type { Storage } from '../../fs-service/index.js';
import type { EventBus } from './event-bus.js';

export type FeedListener = (event: RefUpdatedEvent) => void;

/** One listener and how far into the log it has been served. */
interface Cursor {
  pos: number;
  listener: FeedListener;
}

interface Watch {
  cursors: Set<Cursor>;
  polling: boolean;
  again: boolean;
}

/**
 * Delivers a repository's events, made through any front end, in log order. Only repositories
 * somebody listens to are watched: their log counter is read every `intervalMs`, and at once when
 * this front end itself moved a ref there. Every listener is a cursor into the log, so a replay
 * (`since`) and live delivery are the same code path and no event is seen twice or skipped.
 */
export class EventFeed {
  private readonly watches = new Map<string, Watch>();
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly storage: Storage,
    bus: EventBus,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => {
      for (const repo of this.watches.keys()) void this.poll(repo);
    }, intervalMs);
    this.timer.unref();
    this.unsubscribe = bus.subscribe((event) => {
      if (this.watches.has(event.repo)) void this.poll(event.repo);
    });
  }

  /**
   * Starts delivering events after `since` (default: from now). Answers the position the
   * listener starts from and a function that stops delivery.
   */
  async listen(repo: string, listener: FeedListener, since?: number): Promise<{ position: number; stop: () => void }> {
    const last = await readSeq(this.storage.repo(repo));
    const cursor: Cursor = { pos: since === undefined ? last : Math.min(Math.max(0, since), last), listener };
    let watch = this.watches.get(repo);
    if (watch === undefined) {
      watch = { cursors: new Set(), polling: false, again: false };
      this.watches.set(repo, watch);
    }
    watch.cursors.add(cursor);
    const w = watch;
    if (cursor.pos < last) void this.poll(repo);
    return {
      position: cursor.pos,
      stop: () => {
        w.cursors.delete(cursor);
        if (w.cursors.size === 0 && this.watches.get(repo) === w) this.watches.delete(repo);
      },
    };
  }

  private async poll(repo: string): Promise<void> {
    const watch = this.watches.get(repo);
    if (watch === undefined) return;
    if (watch.polling) {
      watch.again = true;
      return;
    }
    watch.polling = true;
    try {
      do {
        watch.again = false;
        await this.deliver(repo, watch);
      } while (watch.again);
    } catch {
      // Storage unavailable for a moment: the next tick reads again from the same positions.
    } finally {
      watch.polling = false;
    }
  }

  private async deliver(repo: string, watch: Watch): Promise<void> {
    const store = this.storage.repo(repo);
    const last = await readSeq(store);
    const cursors = [...watch.cursors];
    const from = Math.min(...cursors.map((c) => c.pos));
    if (cursors.length === 0 || last <= from) return;
    const events = await readEventsAfter<RefUpdatedEvent>(store, from, last);
    for (const cursor of cursors) {
      for (const event of events) if ((event.seq ?? 0) > cursor.pos) cursor.listener(event);
      cursor.pos = Math.max(cursor.pos, last);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    this.watches.clear();
  }
}
