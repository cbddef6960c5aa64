/**
 * Two front ends over one storage (as behind the load balancer): a ref update made through one
 * reaches a WebSocket subscriber of the other, in log order; `since` replays what a client missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../../repo-server/server.js';
import { type EventMessage, openEvents } from '../api/helpers/event-socket.js';
import { createRepo, json, writeFile } from '../api/helpers/fixtures.js';
import { startFrontEnd } from '../api/helpers/front-end.js';
import { type ApiClient, apiClient } from '../api/helpers/harness.js';
import { STORAGE_FACTORIES, type StorageHandle } from '../api/helpers/storages.js';

async function subscribe(base: string, query: Record<string, string>) {
  const outcome = await openEvents(base, query);
  if (!outcome.opened) throw new Error(`subscription refused: ${outcome.status} ${outcome.body}`);
  return outcome.socket;
}

function expectChained(updates: EventMessage[], ref: string): void {
  const onRef = updates.filter((u) => u.ref === ref);
  for (let i = 1; i < onRef.length; i++) expect(onRef[i]?.old, `${ref} event ${i}`).toBe(onRef[i - 1]?.new);
}

describe.each(STORAGE_FACTORIES)('events across two front ends on $name storage', (factory) => {
  let handle: StorageHandle;
  let a: RunningServer;
  let b: RunningServer;
  let viaA: ApiClient;

  beforeAll(async () => {
    handle = await factory.create();
    a = await startFrontEnd(handle.storage, { auth: false });
    b = await startFrontEnd(handle.storage, { auth: false });
    viaA = apiClient(a.url);
    await createRepo(viaA, 'ev');
    await writeFile(viaA, 'ev', 'start.md', 'start');
  });
  afterAll(async () => {
    await a.close(100);
    await b.close(100);
    await handle.dispose();
  });

  it('updates made through A reach a subscriber on B, in order, with branch, old and new ids, by whom and when', async () => {
    const onB = await subscribe(b.url, { repo: 'ev' });
    const onA = await subscribe(a.url, { repo: 'ev' });
    const commits: string[] = [];
    for (let i = 0; i < 8; i++) commits.push((await writeFile(viaA, 'ev', `f${i}.md`, String(i))).commit);
    const branch = await viaA.put('/repos/ev/branches/side').set('Content-Type', 'application/json').send({ from: 'main' });
    expect(branch.status).toBe(201);
    const deleted = await viaA.delete('/repos/ev/branches/side').set('If-Match', `"${commits[7]}"`);
    expect(deleted.status).toBe(204);

    const updates = await onB.refUpdates(10);
    expect(updates.filter((u) => u.ref === 'refs/heads/main').map((u) => u.new)).toEqual(commits);
    expectChained(updates, 'refs/heads/main');
    expect(updates.slice(8).map((u) => [u.ref, u.old, u.new])).toEqual([
      ['refs/heads/side', null, commits[7]],
      ['refs/heads/side', commits[7], null],
    ]);
    for (const u of updates) {
      expect(u).toMatchObject({ type: 'ref-updated', repo: 'ev', via: 'rest', actor: 'anonymous' });
      expect(Number.isNaN(Date.parse(String(u.at)))).toBe(false);
    }
    const seqs = updates.map((u) => u.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => Number(x) - Number(y)));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Both front ends number the same events the same way.
    expect((await onA.refUpdates(10)).map((u) => [u.seq, u.new])).toEqual(updates.map((u) => [u.seq, u.new]));
    await onA.close();
    await onB.close();
  });

  it('writes through both front ends at once reach a subscriber as one unbroken chain of ref moves', async () => {
    const sub = await subscribe(a.url, { repo: 'ev' });
    const viaB = apiClient(b.url);
    const before = json<{ commit: string }>(await viaA.get('/repos/ev/branches/main')).commit;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? viaA : viaB).put(`/repos/ev/contents/both/${i}.md`).send(String(i))));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    const after = json<{ commit: string }>(await viaA.get('/repos/ev/branches/main')).commit;
    // Concurrent commits may land in one swap (group commit): an event is a ref move, not a commit.
    const updates = (await sub.refUpdatesUntil((u) => u.some((e) => e.new === after), `the move to ${after}`)).filter((u) => u.ref === 'refs/heads/main');
    expect(updates[0]?.old).toBe(before);
    expect(updates[updates.length - 1]?.new).toBe(after);
    expectChained(updates, 'refs/heads/main');
    expect(new Set(updates.map((u) => u.seq)).size).toBe(updates.length);
    // Every commit of the writes lies on the chain the events describe.
    const history = json<{ commits: { id: string }[] }>(await viaA.get('/repos/ev/commits?per_page=100')).commits.map((c) => c.id);
    const span = history.slice(0, history.indexOf(before));
    expect(new Set(span)).toEqual(new Set(results.map((r) => json<{ commit: string }>(r).commit)));
    await sub.close();
  });

  it('reconnecting with since replays exactly what was missed', async () => {
    const first = await subscribe(b.url, { repo: 'ev' });
    const seen = (await Promise.all([writeFile(viaA, 'ev', 'seen.md', 'x')]))[0]!.commit;
    const lastSeen = (await first.refUpdates(1))[0]!;
    expect(lastSeen.new).toBe(seen);
    await first.close();

    const missed: string[] = [];
    for (let i = 0; i < 3; i++) missed.push((await writeFile(viaA, 'ev', `missed${i}.md`, String(i))).commit);

    const again = await subscribe(b.url, { repo: 'ev', since: String(lastSeen.seq) });
    expect(again.messages[0]).toMatchObject({ type: 'subscribed', repo: 'ev', position: lastSeen.seq });
    const replayed = await again.refUpdates(3);
    expect(replayed.map((u) => u.new)).toEqual(missed);
    const live = (await writeFile(viaA, 'ev', 'live.md', 'live')).commit;
    const all = await again.refUpdates(4);
    expect(all.map((u) => u.new)).toEqual([...missed, live]);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.messages.filter((m) => m.type === 'ref-updated').length).toBe(4);
    await again.close();
  });

  it('since=0 replays the whole (bounded) backlog from the first event', async () => {
    const sub = await subscribe(a.url, { repo: 'ev', since: '0' });
    const updates = await sub.refUpdates(5);
    expect(updates[0]?.seq).toBe(1);
    expect(updates[0]).toMatchObject({ ref: 'refs/heads/main', old: null });
    await sub.close();
  });

  it('without since, a subscriber starts from now', async () => {
    const sub = await subscribe(b.url, { repo: 'ev' });
    const next = (await writeFile(viaA, 'ev', 'now.md', 'now')).commit;
    const updates = await sub.refUpdates(1);
    expect(updates.map((u) => u.new)).toEqual([next]);
    await sub.close();
  });

  it('refused upgrades: unknown repository 404, a bad since 400, another path 404', async () => {
    const missing = await openEvents(b.url, { repo: 'no-such' });
    expect(missing.opened ? 101 : missing.status).toBe(404);
    const badSince = await openEvents(b.url, { repo: 'ev', since: 'yesterday' });
    expect(badSince.opened ? 101 : badSince.status).toBe(400);
    const invalid = await openEvents(b.url, { repo: '../ev' });
    expect(invalid.opened).toBe(false);
    if (!invalid.opened) expect(invalid.status).toBeGreaterThanOrEqual(400);
    const res = await fetch(`${b.url}/repos/ev`, { headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' } }).catch(() => undefined);
    // fetch cannot complete an upgrade; what matters is that the server did not accept one.
    if (res !== undefined) expect(res.status).not.toBe(101);
  });
});
