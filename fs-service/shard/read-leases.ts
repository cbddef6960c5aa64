import type { Peer } from '../wire/frame-server.js';

/** How long a client may answer reads of a repository from memory after the primary answered. */
export const LEASE_MS = 1_000;

interface Holding {
  peer: Peer;
  until: number;
}

/**
 * The primary's side of read leases. A client that reads a repository's refs and metadata may
 * keep the answer for LEASE_MS; before the primary acknowledges any change to that repository it
 * tells every holder to forget, and waits until each has said so or its lease has run out. So a
 * write acknowledged through one front end is never hidden by another front end's memory, and a
 * holder that hangs delays writers by at most one lease. A new primary waits one lease before it
 * acknowledges writes (see `fenceMs`), since the old one's holders are not known to it.
 */
export class ReadLeases {
  private readonly holders = new Map<string, Map<number, Holding>>();
  /** Revocations waiting for their holder, by push id; only that holder can end one. */
  private readonly waiting = new Map<number, { peerId: number; acknowledged: () => void }>();
  private nextPushId = 1;
  private grants = 0;
  /** When this shard last became primary of each vbucket it leads (see fenceMs). */
  private readonly leadingSince = new Map<number, number>();

  /** `observe` hears how each revocation ended: the holder said so, or its lease ran out. */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly observe: (outcome: 'acknowledged' | 'expired') => void = () => {},
  ) {}

  /** Records a lease for `peer` on `key`; the duration goes back with the answer. */
  grant(peer: Peer, key: string): number {
    let byPeer = this.holders.get(key);
    if (byPeer === undefined) {
      byPeer = new Map();
      this.holders.set(key, byPeer);
    }
    byPeer.set(peer.id, { peer, until: this.now() + LEASE_MS });
    if (++this.grants % 1024 === 0) this.prune();
    return LEASE_MS;
  }

  /** Forgets expired holdings, so repositories read once do not stay in memory. */
  private prune(): void {
    const now = this.now();
    for (const [key, byPeer] of this.holders) {
      for (const [id, holding] of byPeer) if (holding.until <= now) byPeer.delete(id);
      if (byPeer.size === 0) this.holders.delete(key);
    }
  }

  /**
   * Ends every lease on `key`: resolves once each live holder has acknowledged the revocation
   * (which carries the repository's new generation) or its lease has expired. Never rejects.
   */
  revoke(key: string, fields: Record<string, unknown>): Promise<void> {
    const byPeer = this.holders.get(key);
    if (byPeer === undefined) return Promise.resolve();
    this.holders.delete(key);
    const now = this.now();
    const waits: Promise<void>[] = [];
    for (const { peer, until } of byPeer.values()) {
      if (until <= now) continue;
      const pid = this.nextPushId++;
      if (!peer.push({ push: 'revoke', pid, ...fields })) continue;
      waits.push(
        new Promise<'acknowledged' | 'expired'>((resolve) => {
          const timer = setTimeout(() => resolve('expired'), until - now);
          timer.unref?.();
          this.waiting.set(pid, {
            peerId: peer.id,
            acknowledged: () => {
              clearTimeout(timer);
              resolve('acknowledged');
            },
          });
        }).then((outcome) => {
          this.waiting.delete(pid);
          this.observe(outcome);
        }),
      );
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** `peer`'s "forgotten" for revocation `pid` (another connection's answer counts for nothing). */
  acknowledge(peer: Peer, pid: unknown): void {
    const waiting = typeof pid === 'number' ? this.waiting.get(pid) : undefined;
    if (waiting !== undefined && waiting.peerId === peer.id) waiting.acknowledged();
  }

  /** A closed connection holds nothing (its client forgets everything when it notices). */
  dropPeer(peerId: number): void {
    for (const [key, byPeer] of this.holders) {
      byPeer.delete(peerId);
      if (byPeer.size === 0) this.holders.delete(key);
    }
  }

  /**
   * Follows the map: a vbucket this shard starts to lead is fenced for one lease from now, unless
   * `unfenced`: the previous primary's etcd lease is known to be gone, and a primary grants no read
   * lease that could outlive its etcd lease (ShardServer.grantsLeases), so none of its can be live.
   */
  leads(vb: number, leading: boolean, unfenced = false): void {
    if (!leading) this.leadingSince.delete(vb);
    else if (!this.leadingSince.has(vb)) this.leadingSince.set(vb, unfenced ? this.now() - LEASE_MS : this.now());
  }

  /**
   * How long a write of `vb` must still wait before it is acknowledged: until leases a previous
   * primary may have granted have run out, a front end could still answer from what that one
   * told it.
   */
  fenceMs(vb: number): number {
    const since = this.leadingSince.get(vb);
    return since === undefined ? 0 : Math.max(0, since + LEASE_MS - this.now());
  }

  /** Leases of this many repositories are held (for tests and metrics). */
  get size(): number {
    return this.holders.size;
  }
}
