/**
 * A front end that dies mid-push leaves its incoming pack files; the next push of the repository
 * removes those nobody wrote to for an hour, and nothing else (not a live push's, not a pack).
 */
import { mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../../fs-service/index.js';
import { INCOMING_PREFIX, sweepAbandoned } from '../../../repo-server/git/pack/ingest.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('abandoned incoming pack files', () => {
  it('are removed after an hour without writes; live ones and packs stay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    dirs.push(dir);
    const storage = await openEmbeddedStorage(dir);
    const store = storage.repo('book');
    const live = `${INCOMING_PREFIX}${'a'.repeat(32)}.pack`;
    const dead = `${INCOMING_PREFIX}${'b'.repeat(32)}.pack`;
    const pack = `/objects/pack/pack-${'c'.repeat(40)}.pack`;
    await store.fs.promises.mkdir('/objects', { recursive: true } as never).catch(() => undefined);
    await store.fs.promises.mkdir('/objects/pack', { recursive: true } as never).catch(() => undefined);
    for (const p of [live, dead, `${INCOMING_PREFIX}${'d'.repeat(32)}.pack`]) await store.writePart(p, 0, Buffer.from('PACK'));
    await store.rename(`${INCOMING_PREFIX}${'d'.repeat(32)}.pack`, pack);
    // Age the dead one on disk: two hours without a write.
    const onDisk = (readdirSync(dir, { recursive: true }) as string[]).find((p) => p.endsWith(`incoming-${'b'.repeat(32)}.pack`))!;
    const then = (Date.now() - 2 * 3600_000) / 1000;
    utimesSync(join(dir, onDisk), then, then);

    expect(await sweepAbandoned(store, Date.now())).toEqual([dead]);
    const left = await store.fs.promises.readdir('/objects/pack');
    expect([...left].sort()).toEqual([`incoming-${'a'.repeat(32)}.pack`, `pack-${'c'.repeat(40)}.pack`]);
    await storage.close();
  });
});

