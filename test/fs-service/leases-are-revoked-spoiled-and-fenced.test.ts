import { describe, expect, it } from 'vitest';
import { LeaseCache } from '../../fs-service/client/lease-cache.js';
import type { Peer } from '../../fs-service/wire/frame-server.js';
import { LEASE_MS, ReadLeases } from '../../fs-service/shard/read-leases.js';

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A connection that records what it was told; `open` false: it is gone. */
function peer(id: number, open = true): Peer & { pushed: Record<string, unknown>[] } {
  const pushed: Record<string, unknown>[] = [];
  return { id, pushed, push: (header) => (open ? (pushed.push(header), true) : false) };
}

const bytes = (s: string) => Buffer.from(s);

describe("the primary's lease book (ReadLeases)", () => {
  it('tells every holder to forget and resolves once each has acknowledged', async () => {
    const outcomes: string[] = [];
    const leases = new ReadLeases(undefined, (outcome) => void outcomes.push(outcome));
    const a = peer(1);
    const b = peer(2);
    expect(leases.grant(a, '7/book')).toBe(LEASE_MS);
    leases.grant(b, '7/book');
    leases.grant(b, '8/other');
    let done = false;
    const revoked = leases.revoke('7/book', { repo: 'book', gen: 'boot.3' }).then(() => void (done = true));
    expect(a.pushed).toEqual([expect.objectContaining({ push: 'revoke', repo: 'book', gen: 'boot.3' })]);
    expect(b.pushed).toHaveLength(1);
    leases.acknowledge(a, a.pushed[0]!.pid);
    // b's revocation is b's to answer: a cannot end it for b.
    leases.acknowledge(a, b.pushed[0]!.pid);
    await Promise.resolve();
    expect(done).toBe(false);
    leases.acknowledge(b, b.pushed[0]!.pid);
    await revoked;
    expect(outcomes).toEqual(['acknowledged', 'acknowledged']);
    // Revoked means released: the next change has no one to tell; other repositories keep theirs.
    await leases.revoke('7/book', {});
    expect(a.pushed).toHaveLength(1);
    expect(leases.size).toBe(1);
  });

  it('stops waiting for a holder that never answers when its lease runs out', async () => {
    const outcomes: string[] = [];
    const leases = new ReadLeases(undefined, (outcome) => void outcomes.push(outcome));
    const silent = peer(1);
    leases.grant(silent, 'k');
    const started = performance.now();
    await leases.revoke('k', {});
    const waited = performance.now() - started;
    expect(silent.pushed).toHaveLength(1);
    expect(waited).toBeGreaterThan(LEASE_MS * 0.8);
    expect(waited).toBeLessThan(LEASE_MS * 3);
    expect(outcomes).toEqual(['expired']);
    leases.acknowledge(silent, silent.pushed[0]!.pid); // too late: counted once
  });

  it('does not wait for expired leases, closed connections or nonsense acknowledgements', async () => {
    const time = clock();
    const leases = new ReadLeases(time.now);
    const expired = peer(1);
    const closed = peer(2, false);
    leases.grant(expired, 'k');
    time.advance(LEASE_MS + 1);
    leases.grant(closed, 'k');
    for (const junk of [undefined, 'x', -1, 1e99, { pid: 1 }]) leases.acknowledge(expired, junk);
    await leases.revoke('k', {}); // would hang (fake clock) if it waited for either
    expect(expired.pushed).toHaveLength(0);
  });

  it('forgets what a closed connection held', () => {
    const leases = new ReadLeases();
    leases.grant(peer(1), 'a');
    leases.grant(peer(1), 'b');
    leases.grant(peer(2), 'b');
    leases.dropPeer(1);
    expect(leases.size).toBe(1);
  });

  it('fences a vbucket it starts to lead for one lease, and not one it already led', () => {
    const time = clock();
    const leases = new ReadLeases(time.now);
    expect(leases.fenceMs(3)).toBe(0);
    leases.leads(3, true);
    expect(leases.fenceMs(3)).toBe(LEASE_MS);
    time.advance(LEASE_MS / 4);
    leases.leads(3, true); // the same leadership in a newer map
    expect(leases.fenceMs(3)).toBe((LEASE_MS * 3) / 4);
    time.advance(LEASE_MS);
    expect(leases.fenceMs(3)).toBe(0);
    leases.leads(3, false);
    leases.leads(3, true); // led again after someone else did
    expect(leases.fenceMs(3)).toBe(LEASE_MS);
  });

  it('does not fence a vbucket whose previous primary lost its etcd lease (its read leases all ended before)', () => {
    const time = clock();
    const leases = new ReadLeases(time.now);
    leases.leads(5, true, true);
    expect(leases.fenceMs(5)).toBe(0);
    leases.leads(5, false);
    leases.leads(5, true, false); // a hand-over from a live primary (rebalance) keeps the fence
    expect(leases.fenceMs(5)).toBe(LEASE_MS);
  });
});

describe("the front end's lease memory (LeaseCache)", () => {
  it('answers leased files, absent ones as null, and nothing it was not told', () => {
    const time = clock();
    const cache = new LeaseCache(time.now);
    const ticket = cache.ticket('book');
    cache.take(ticket, LEASE_MS, [['/refs/heads/main', bytes('abc\n')], ['/deleted.json', null]]);
    expect(cache.file('book', '/refs/heads/main')?.toString()).toBe('abc\n');
    expect(cache.file('book', '/deleted.json')).toBeNull();
    expect(cache.file('book', '/refs/heads/other')).toBeUndefined();
    expect(cache.file('other', '/refs/heads/main')).toBeUndefined();
  });

  it('stops answering before the primary would count the lease as over', () => {
    const time = clock();
    const cache = new LeaseCache(time.now);
    const ticket = cache.ticket('book');
    time.advance(30); // the answer took 30 ms; the lease counts from when the read left
    cache.take(ticket, LEASE_MS, [['/HEAD', bytes('ref: refs/heads/main\n')]]);
    time.advance(LEASE_MS - 30 - 101);
    expect(cache.file('book', '/HEAD')).toBeDefined();
    time.advance(2);
    expect(cache.file('book', '/HEAD')).toBeUndefined();
  });

  it('keeps what a live lease held when it is renewed with other files, not what an expired one held', () => {
    const time = clock();
    const cache = new LeaseCache(time.now);
    cache.take(cache.ticket('book'), LEASE_MS, [['/refs/heads/main', bytes('m\n')]]);
    time.advance(LEASE_MS / 2);
    cache.take(cache.ticket('book'), LEASE_MS, [['/refs/heads/draft', bytes('d\n')]]);
    expect(cache.file('book', '/refs/heads/main')?.toString()).toBe('m\n');
    expect(cache.file('book', '/refs/heads/draft')?.toString()).toBe('d\n');
    // Both now last as long as the renewal.
    time.advance(LEASE_MS / 2 + 10);
    expect(cache.file('book', '/refs/heads/main')?.toString()).toBe('m\n');
    // A renewal asked while the lease was live, answered after it ran out: only its own files.
    const late = cache.ticket('book');
    time.advance(LEASE_MS);
    cache.take(late, LEASE_MS * 3, [['/refs/heads/next', bytes('n\n')]]);
    expect(cache.file('book', '/refs/heads/next')?.toString()).toBe('n\n');
    expect(cache.file('book', '/refs/heads/main')).toBeUndefined();
  });

  it('keeps nothing from a read that a revocation overtook, and drops what it held', () => {
    const cache = new LeaseCache(clock().now);
    const held = cache.ticket('book');
    cache.take(held, LEASE_MS, [['/refs/heads/main', bytes('old\n')]]);
    const inFlight = cache.ticket('book');
    cache.revoke('book');
    expect(cache.file('book', '/refs/heads/main')).toBeUndefined();
    cache.take(inFlight, LEASE_MS, [['/refs/heads/main', bytes('old\n')]]);
    expect(cache.file('book', '/refs/heads/main')).toBeUndefined();
    const after = cache.ticket('book');
    cache.take(after, LEASE_MS, [['/refs/heads/main', bytes('new\n')]]);
    expect(cache.file('book', '/refs/heads/main')?.toString()).toBe('new\n');
  });

  it('drops every lease when a shard connection is lost, including reads on their way', () => {
    const cache = new LeaseCache(clock().now);
    cache.take(cache.ticket('a'), LEASE_MS, [['/HEAD', bytes('x')]]);
    const inFlight = cache.ticket('b');
    cache.loseAll();
    cache.take(inFlight, LEASE_MS, [['/HEAD', bytes('y')]]);
    expect(cache.file('a', '/HEAD')).toBeUndefined();
    expect(cache.file('b', '/HEAD')).toBeUndefined();
  });

  it('keeps nothing without a lease in the answer (a copy answered, or a hostile value)', () => {
    const cache = new LeaseCache(clock().now);
    for (const ms of [undefined, null, '1000', -5, 0, 50, Number.NaN, { ms: 1000 }]) {
      cache.take(cache.ticket('book'), ms, [['/HEAD', bytes('x')]]);
      expect(cache.file('book', '/HEAD')).toBeUndefined();
    }
  });
});
