import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vbucketOf, type KeyedLock } from '../../fs-service/index.js';
import { DiskEngine } from '../../fs-service/engine/disk-engine.js';
import type { Effect } from '../../fs-service/engine/mutations.js';
import type { RepoDisk } from '../../fs-service/engine/repo-disk.js';
import { decodeEffects, decodeFrame, decodeMutation, encodeEffects, encodeFrame, encodeMutation } from '../../fs-service/wire/wire-codec.js';
import { errorCode } from './hostile-input.js';

const root = mkdtempSync(join(tmpdir(), 'fs-parts-engine-'));
let engine: DiskEngine;
let disk: RepoDisk;
let locks: KeyedLock;
const INCOMING = `/objects/pack/incoming-${'7'.repeat(32)}.pack`;

beforeAll(async () => {
  engine = await DiskEngine.open(join(root, 'data'));
  disk = engine.repo(vbucketOf('replay'), 'replay');
  locks = (engine as unknown as { ctx: { locks: KeyedLock } }).ctx.locks;
});
afterAll(async () => {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

const onDisk = (path: string) => readFileSync(join(disk.root, path));
const packOf = (data: Buffer) => `/objects/pack/pack-${createHash('sha1').update(data).digest('hex')}.pack`;
const settledSoon = (promise: Promise<unknown>) => Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 100))]);

describe('a copy replaying parts and renames', () => {
  it('ends in the same state when it applies the same parts twice', async () => {
    const effects: Effect[] = [
      { kind: 'part', path: INCOMING, offset: 0, data: Buffer.from('PACK0000rest of the pack') },
      { kind: 'part', path: INCOMING, offset: 4, data: Buffer.from('0002') },
      { kind: 'part', path: INCOMING, offset: 30, data: Buffer.from('tail') },
    ];
    await disk.applyEffects(effects);
    const once = onDisk(INCOMING);
    await disk.applyEffects(effects);
    expect(onDisk(INCOMING)).toEqual(once);
    expect(once).toEqual(Buffer.concat([Buffer.from('PACK0002rest of the pack'), Buffer.alloc(6), Buffer.from('tail')]));
  });

  it('ends in the same state when it applies a rename again after it was done (source gone, target there)', async () => {
    const whole = onDisk(INCOMING);
    const pack = packOf(whole);
    const rename: Effect[] = [{ kind: 'rename', from: INCOMING, to: pack }];
    await disk.applyEffects(rename);
    await disk.applyEffects(rename);
    expect(onDisk(pack)).toEqual(whole);
    expect(readdirSync(join(disk.root, 'objects/pack'))).toEqual([pack.slice('/objects/pack/'.length)]);
  });

  it('removes the source of a rename onto a pack it already holds, and keeps the pack', async () => {
    const pack = readdirSync(join(disk.root, 'objects/pack'))[0]!;
    const before = onDisk(`/objects/pack/${pack}`);
    await disk.applyEffects([{ kind: 'part', path: INCOMING, offset: 0, data: Buffer.from('a late copy') }, { kind: 'rename', from: INCOMING, to: `/objects/pack/${pack}` }]);
    expect(readdirSync(join(disk.root, 'objects/pack'))).toEqual([pack]);
    expect(onDisk(`/objects/pack/${pack}`)).toEqual(before);
  });

  it('fails (EIO, so the copy catches up) a rename of which it holds neither file: it missed the parts', async () => {
    expect(await errorCode(disk.applyEffects([{ kind: 'rename', from: '/objects/pack/incoming-never.pack', to: `/objects/pack/pack-${'d'.repeat(40)}.pack` }]))).toBe('EIO');
  });
});

describe('the repository lock', () => {
  it('is taken shared by parts and by renames onto a pack, exclusive by a rename onto a mutable file, so a ref swap waits only for parts already under way', async () => {
    let release!: () => void;
    const holder = locks.run(disk.root, 'shared', () => new Promise<void>((resolve) => (release = resolve)));
    const data = Buffer.alloc(1024 * 1024, 7);
    // Parts and the publication of a pack go on while another shared holder (a write of an object, a batch of reads) is in.
    expect(await settledSoon(disk.execute({ op: 'part', path: INCOMING, offset: 0, data }))).toBe(true);
    expect(await settledSoon(disk.execute({ op: 'part', path: INCOMING, offset: data.length, data }))).toBe(true);
    expect(await settledSoon(disk.execute({ op: 'rename', from: INCOMING, to: packOf(Buffer.concat([data, data])) }))).toBe(true);
    await disk.execute({ op: 'part', path: '/staged', offset: 0, data: Buffer.from('ref: refs/heads/main\n') });
    const publishMutable = disk.execute({ op: 'rename', from: '/staged', to: '/HEAD' });
    const swap = disk.execute({ op: 'cas', ops: [{ path: '/refs/heads/main', expected: null, next: Buffer.from('1'.repeat(40)) }] });
    expect(await settledSoon(Promise.all([publishMutable, swap]))).toBe(false);
    release();
    await holder;
    expect(await swap).toBe(true);
    await publishMutable;
    expect(onDisk('/HEAD').toString()).toBe('ref: refs/heads/main\n');
  });

  it('lets ref swaps through between the parts of a long sequence', async () => {
    const part = Buffer.alloc(512 * 1024, 3);
    let partsDone = false;
    const parts = (async () => {
      for (let i = 0; i < 64; i++) await disk.execute({ op: 'part', path: `/objects/pack/incoming-${'8'.repeat(32)}.pack`, offset: i * part.length, data: part });
      partsDone = true;
    })();
    let swaps = 0;
    for (let i = 0; !partsDone && i < 1000; i++) {
      const expected = i === 0 ? null : Buffer.from(String(i - 1));
      expect(await disk.execute({ op: 'cas', ops: [{ path: '/refs/heads/counter', expected, next: Buffer.from(String(i)) }] })).toBe(true);
      if (!partsDone) swaps++;
    }
    await parts;
    expect(swaps).toBeGreaterThan(3);
  });
});

describe('parts and renames on the wire', () => {
  it('carry a part\'s bytes in a frame part, never in the JSON header, and decode to what was sent', () => {
    // Big enough that bytes in the header would show; compared with Buffer.equals (a deep
    // equality walks a buffer element by element).
    const data = Buffer.alloc(256 * 1024, 0xab);
    const { mutation, parts } = encodeMutation({ op: 'part', path: INCOMING, offset: 8, data });
    const frame = decodeFrame(encodeFrame({ mutation }, parts));
    expect(JSON.stringify(frame.header).length).toBeLessThan(200);
    const decoded = decodeMutation(frame.header.mutation, frame.parts);
    expect(decoded.op === 'part' && decoded.path === INCOMING && decoded.offset === 8 && decoded.data.equals(data)).toBe(true);
    const renamed = encodeMutation({ op: 'rename', from: INCOMING, to: '/x' });
    expect(decodeMutation(renamed.mutation, renamed.parts)).toEqual({ op: 'rename', from: INCOMING, to: '/x' });

    const effects: Effect[] = [
      { kind: 'part', path: INCOMING, offset: 0, data },
      { kind: 'rename', from: INCOMING, to: '/y' },
    ];
    const wire = encodeEffects(effects);
    expect(wire.parts.length === 1 && wire.parts[0] === data).toBe(true);
    const back = decodeFrame(encodeFrame({ effects: wire.effects }, wire.parts));
    const [part, rename] = decodeEffects(back.header.effects, back.parts);
    expect(part?.kind === 'part' && part.path === INCOMING && part.offset === 0 && part.data.equals(data)).toBe(true);
    expect(rename).toEqual({ kind: 'rename', from: INCOMING, to: '/y' });
    expect(() => decodeEffects([{ kind: 'part', path: INCOMING, offset: -1 }], [data])).toThrow(/offset/);
    expect(() => decodeMutation({ op: 'part', path: INCOMING, offset: '8' }, [data])).toThrow(/offset/);
  });
});
