import { readdirSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDelta } from '../../../repo-server/git/pack/delta.js';
import { objectId, parseCommit, parseTree, type GitObject } from '../../../repo-server/git/object.js';
import { encodeOfsDistance, encodeTypeAndSize, packHeader, readEntryHeader } from '../../../repo-server/git/pack/format.js';
import { PackIndex } from '../../../repo-server/git/pack/index-file.js';
import { ingestPack, NO_PACK_LIMITS } from '../../../repo-server/git/pack/ingest.js';
import { ByteReader } from '../../../repo-server/git/stream/byte-reader.js';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { FLUSH, PktReader, pktLine } from '../../../repo-server/git-http/pkt-line.js';
import { ResponseSink } from '../../../repo-server/git-http/response-sink.js';
import { PackChannel, SIDE_BAND_64K_MAX } from '../../../repo-server/git-http/side-band.js';
import { GitSandbox, killSpawned } from './helpers/git-client.js';
import { commitFiles } from './helpers/local-repo.js';

/** Feeds a pack to ingestPack in chunks of `chunk` bytes over memory storage; what it stored, and what it left behind. */
async function ingest(bytes: Buffer, chunk: number, lookup: (oid: string) => Promise<GitObject | null> = async () => null) {
  const store = new MemoryStorage().repo('r');
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  }
  const r = await ingestPack(new ByteReader(chunks()), { store, lookup, limits: NO_PACK_LIMITS });
  const listing = async (): Promise<string[]> => store.fs.promises.readdir('/objects/pack').catch(() => []);
  if (!r.ok) return { ok: false as const, error: r.error, leftovers: await listing() };
  await r.value.publish();
  const name = `/objects/pack/pack-${r.value.checksum}`;
  const [pack, idx] = await store.readMany([`${name}.pack`, `${name}.idx`]);
  const leftovers = (await listing()).filter((f) => !f.startsWith(`pack-${r.value.checksum}.`));
  return { ok: true as const, value: { ...r.value, pack: pack as Buffer, idx: idx as Buffer, leftovers } };
}

describe('pkt-line', () => {
  it('frames and reads data, flush, delim and response-end', () => {
    const buf = Buffer.concat([pktLine('hello\n'), FLUSH, Buffer.from('0001'), pktLine(Buffer.from([0, 1, 2])), Buffer.from('0002')]);
    const r = new PktReader(buf);
    const kinds: string[] = [];
    while (!r.atEnd()) {
      const p = r.next();
      if (!p.ok) throw new Error(p.error);
      kinds.push(p.value.kind === 'data' ? `data:${p.value.data.toString('hex')}` : p.value.kind);
    }
    expect(kinds).toEqual(['data:68656c6c6f0a', 'flush', 'delim', 'data:000102', 'response-end']);
    expect(buf.toString('latin1', 0, 4)).toBe('000a');
  });

  it('reports malformed and truncated input as error values', () => {
    for (const bad of ['zz', 'zzzz', '0003', '0010abc', '00']) {
      const p = new PktReader(Buffer.from(bad)).next();
      expect(p.ok).toBe(false);
    }
    expect(() => pktLine(Buffer.alloc(65517))).toThrow(RangeError);
  });
});

describe('side-band-64k channel', () => {
  it('coalesces data into frames of at most 65520 bytes and ends with a flush', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const channel = new PackChannel(new ResponseSink(out), { sideBand: true, frameMax: SIDE_BAND_64K_MAX, progress: true });
    const payload = Buffer.alloc(200_000, 7);
    for (let at = 0; at < payload.length; at += 1000) await channel.data(payload.subarray(at, at + 1000));
    await channel.progress('50%\r');
    await channel.finish();
    const all = Buffer.concat(chunks);
    const reader = new PktReader(all);
    let data = 0;
    const bands: number[] = [];
    for (;;) {
      const p = reader.next();
      if (!p.ok) throw new Error(p.error);
      if (p.value.kind === 'flush') break;
      if (p.value.kind !== 'data') throw new Error('unexpected');
      expect(p.value.data.length + 4).toBeLessThanOrEqual(SIDE_BAND_64K_MAX);
      bands.push(p.value.data[0] as number);
      if (p.value.data[0] === 1) data += p.value.data.length - 1;
    }
    expect(data).toBe(payload.length);
    expect(bands.filter((b) => b === 1).length).toBe(Math.ceil(payload.length / (SIDE_BAND_64K_MAX - 5)));
    expect(bands[bands.length - 1]).toBe(2);
    expect(reader.atEnd()).toBe(true);
  });
});

describe('pack format pieces', () => {
  it('round-trips entry headers and OFS_DELTA distances', () => {
    for (const [type, size] of [
      [1, 0],
      [3, 15],
      [3, 16],
      [2, 123_456_789],
    ] as const) {
      const h = readEntryHeader(encodeTypeAndSize(type, size), 0);
      expect(h?.typeCode).toBe(type);
      expect(h?.size).toBe(size);
    }
    for (const distance of [1, 127, 128, 16511, 16512, 2_000_000]) {
      const entry = Buffer.concat([encodeTypeAndSize(6, 10), encodeOfsDistance(distance)]);
      const at = 3_000_000;
      const buf = Buffer.concat([Buffer.alloc(at), entry]);
      expect(readEntryHeader(buf, at)?.baseOffset).toBe(at - distance);
    }
  });

  it('applies deltas and rejects corrupt ones', () => {
    const base = Buffer.from('hello world');
    // base size 11, result size 11: copy 6 bytes from 0, insert "there"
    const delta = Buffer.from([11, 11, 0x80 | 0x01 | 0x10, 0, 6, 5, ...Buffer.from('there')]);
    const r = applyDelta(base, delta);
    expect(r.ok && r.value.toString()).toBe('hello there');
    expect(applyDelta(Buffer.from('short'), delta).ok).toBe(false);
    expect(applyDelta(base, Buffer.from([11, 11, 0]))).toMatchObject({ ok: false });
  });

  it('parses commits and trees', () => {
    const commit = Buffer.from(`tree ${'a'.repeat(40)}\nparent ${'b'.repeat(40)}\nauthor A <a@b> 1 +0000\ncommitter C <c@d> 1700000000 +0100\n\nmsg\n`);
    expect(parseCommit(commit)).toEqual({ tree: 'a'.repeat(40), parents: ['b'.repeat(40)], time: 1700000000 });
    const tree = Buffer.concat([Buffer.from('100644 a.txt\0'), Buffer.alloc(20, 1), Buffer.from('40000 dir\0'), Buffer.alloc(20, 2)]);
    expect(parseTree(tree)?.map((e) => [e.mode, e.path, e.type])).toEqual([
      ['100644', 'a.txt', 'blob'],
      ['040000', 'dir', 'tree'],
    ]);
    expect(parseTree(tree.subarray(0, 20))).toBeNull();
    expect(objectId('blob', Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });
});

describe('pack verification against git', () => {
  let sb: GitSandbox;
  let pack: Buffer;
  let gitIdx: Buffer;

  beforeAll(async () => {
    sb = new GitSandbox();
    const dir = sb.path('repo');
    await sb.ok(['init', '-q', '-b', 'main', dir]);
    for (let i = 0; i < 5; i++) await commitFiles(sb, dir, { 'big.txt': `${'same line\n'.repeat(300)}${i}\n`, [`f${i}`]: `${i}\n` }, `c${i}`);
    await sb.ok(['repack', '-adq'], { cwd: dir });
    const packDir = `${dir}/.git/objects/pack`;
    const list = (await sb.ok(['count-objects', '-v'], { cwd: dir })).trim();
    expect(list).toContain('packs: 1');
    const files = readdirSync(packDir);
    const base = files.find((f) => f.endsWith('.pack'))?.slice(0, -5) as string;
    pack = readFileSync(`${packDir}/${base}.pack`);
    gitIdx = readFileSync(`${packDir}/${base}.idx`);
  });

  afterAll(() => {
    killSpawned();
    sb?.cleanup();
  });

  it('indexes a git pack byte-identically to git index-pack, however the bytes arrive', async () => {
    for (const chunk of [7, 1000, 65536, pack.length]) {
      const r = await ingest(pack, chunk);
      if (!r.ok) throw new Error(r.error);
      expect(Buffer.compare(r.value.idx, gitIdx)).toBe(0);
      expect(Buffer.compare(r.value.pack, pack)).toBe(0);
      expect(r.value.leftovers).toEqual([]);
      const parsed = PackIndex.parse(r.value.idx);
      expect(parsed.ok && parsed.value.count).toBe(pack.readUInt32BE(8));
    }
  });

  it('refuses truncated packs, wrong counts, flipped bytes and trailing garbage', async () => {
    const fewer = Buffer.from(pack);
    fewer.writeUInt32BE(pack.readUInt32BE(8) + 1, 8);
    const flipped = Buffer.from(pack);
    flipped[40] ^= 0x55;
    const cases: [Buffer, RegExp][] = [
      [pack.subarray(0, 10), /not a pack|truncated/],
      [pack.subarray(0, pack.length - 100), /truncated|corrupt/],
      [fewer, /truncated|corrupt|declares/],
      [flipped, /corrupt|checksum/],
      [Buffer.concat([pack.subarray(0, pack.length - 20), Buffer.from('garbage'), pack.subarray(pack.length - 20)]), /unexpected bytes|corrupt/],
      [Buffer.concat([packHeader(1), encodeTypeAndSize(3, 5), deflateSync(Buffer.from('abc')), Buffer.alloc(20)]), /inflates|corrupt|checksum/],
    ];
    for (const [bytes, expected] of cases) {
      const r = await ingest(bytes, 4096);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(expected);
      if (!r.ok) expect(r.leftovers).toEqual([]);
    }
  });
});
