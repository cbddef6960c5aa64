import { LRUCache } from 'lru-cache';

/**
 * Held back from the primary's lease duration: the lease is counted from when the request left
 * here, which is before the primary counted it, so this only covers clock rate and scheduling.
 */
const MARGIN_MS = 100;
/** Most files one repository's lease keeps (refs of the branches read, metadata). */
const MAX_FILES = 64;

interface RepoLease {
  /** Revocations seen for this repository; an answer asked before one is not kept. */
  revocations: number;
  held: { until: number; epoch: number; files: Map<string, Buffer | null> } | null;
}

/** What must still hold when a leased answer arrives for it to be kept. */
export interface LeaseTicket {
  readonly repo: string;
  readonly entry: RepoLease;
  readonly revocations: number;
  readonly epoch: number;
  readonly sentAt: number;
}

/**
 * The client's side of read leases (see ReadLeases): the mutable files (refs, metadata) a
 * primary answered with a lease, per repository, answered from memory until the lease runs out
 * or the primary revokes it. A revocation arriving while a read is on its way spoils that read's
 * lease; losing a shard connection or moving to a new cluster map drops every lease at once.
 */
export class LeaseCache {
  private epoch = 0;
  // A count bound through maxSize: with `max`, lru-cache would allocate every slot up front.
  private readonly repos = new LRUCache<string, RepoLease>({ maxSize: 10_000, sizeCalculation: () => 1 });

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Taken just before a read that asks for a lease is sent. */
  ticket(repo: string): LeaseTicket {
    let entry = this.repos.get(repo);
    if (entry === undefined) {
      entry = { revocations: 0, held: null };
      this.repos.set(repo, entry);
    }
    return { repo, entry, revocations: entry.revocations, epoch: this.epoch, sentAt: this.now() };
  }

  /**
   * Keeps `files` for `ms` (the primary's grant) unless something was revoked or lost since the
   * ticket. Files of a lease that is still live now are kept on with them: this client has held
   * a lease without a break since they were read (the primary's count ends after ours), so any
   * change since would have been revoked, and from the new grant on it still would be.
   */
  take(ticket: LeaseTicket, ms: unknown, files: Iterable<[string, Buffer | null]>): void {
    if (typeof ms !== 'number' || !(ms > MARGIN_MS)) return;
    const { entry } = ticket;
    if (this.repos.peek(ticket.repo) !== entry || entry.revocations !== ticket.revocations || this.epoch !== ticket.epoch) return;
    const held = entry.held;
    const live = held !== null && held.epoch === this.epoch && this.now() < held.until && held.files.size < MAX_FILES;
    const kept = new Map(live ? held.files : []);
    for (const [path, data] of files) kept.set(path, data);
    entry.held = { until: ticket.sentAt + ms - MARGIN_MS, epoch: ticket.epoch, files: kept };
  }

  /** The files a live lease on `repo` covers (null content: absent), or undefined when none does. */
  live(repo: string): ReadonlyMap<string, Buffer | null> | undefined {
    const entry = this.repos.peek(repo);
    const held = entry?.held;
    if (held === null || held === undefined) return undefined;
    if (held.epoch !== this.epoch || this.now() >= held.until) {
      entry!.held = null;
      return undefined;
    }
    return held.files;
  }

  /** The leased content of `path` (null: absent), or undefined when no live lease covers it. */
  file(repo: string, path: string): Buffer | null | undefined {
    return this.live(repo)?.get(path);
  }

  /** The primary says the repository changed: forget, and spoil reads already on their way. */
  revoke(repo: string): void {
    const entry = this.repos.peek(repo);
    if (entry === undefined) return;
    entry.revocations++;
    entry.held = null;
  }

  /** A shard connection dropped or the map moved on: no lease can be trusted any more. */
  loseAll(): void {
    this.epoch++;
  }
}
