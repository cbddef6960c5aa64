import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { RepoService } from '../../../repo-server/domain/index.js';
import { rawCommit } from './helpers/raw-commits.js';
import { harness, ok, seed } from './helpers/service.js';
import { storageFactories } from './helpers/storages.js';

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function untar(gz: Buffer): Promise<{ name: string; type: string; mode: number; mtime: number; body: string; linkname: string | null }[]> {
  const out: { name: string; type: string; mode: number; mtime: number; body: string; linkname: string | null }[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ name: header.name, type: header.type, mode: header.mode, mtime: header.mtime.getTime() / 1000, body: Buffer.concat(chunks).toString(), linkname: header.linkname ?? null });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  extract.end(gunzipSync(gz));
  await done;
  return out;
}

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Lists a zip with Python's zipfile (an independent reader): name, mode, date, content. */
function unzip(zip: Buffer): [string, string, string, string][] {
  const dir = mkdtempSync(join(tmpdir(), 'domain-zip-'));
  temps.push(dir);
  writeFileSync(join(dir, 'a.zip'), zip);
  const script = `import zipfile,json,sys
z=zipfile.ZipFile(sys.argv[1])
print(json.dumps([[i.filename, oct(i.external_attr>>16), '%04d-%02d-%02dT%02d:%02d:%02d' % i.date_time, z.read(i).decode('latin1')] for i in z.infolist()]))`;
  return JSON.parse(execFileSync('python3', ['-c', script, join(dir, 'a.zip')], { encoding: 'utf8' })) as [string, string, string, string][];
}

async function setup(service: RepoService) {
  return seed(service, 'book', { 'README.md': 'read me\n', 'ch/1.md': 'one\n', 'ch/2.md': 'two\n', 'z.bin': Buffer.from([0, 1, 2]) });
}

describe.each(storageFactories)('archives on $name storage', (factory) => {
  it('streams a tar.gz with a top folder, commit times and the files of the tree', async () => {
    const { service } = await harness(factory);
    const c1 = await setup(service);
    const result = ok(await service.archive('book', { ref: 'main', format: 'tar.gz' }));
    const top = `book-${c1.id.slice(0, 7)}`;
    expect(result).toMatchObject({ commit: c1.id, filename: `${top}.tar.gz`, contentType: 'application/gzip' });
    const entries = await untar(await bytes(result.stream));
    expect(entries.map((e) => [e.name, e.type, e.mode.toString(8), e.body])).toEqual([
      [`${top}/`, 'directory', '755', ''],
      [`${top}/README.md`, 'file', '644', 'read me\n'],
      [`${top}/ch/`, 'directory', '755', ''],
      [`${top}/ch/1.md`, 'file', '644', 'one\n'],
      [`${top}/ch/2.md`, 'file', '644', 'two\n'],
      [`${top}/z.bin`, 'file', '644', '\0\x01\x02'],
    ]);
    expect(new Set(entries.map((e) => e.mtime))).toEqual(new Set([c1.committer.timestamp]));
  });

  it('streams a zip that an independent reader lists with UTC commit times', async () => {
    const { service } = await harness(factory);
    const c1 = await setup(service);
    const result = ok(await service.archive('book', { format: 'zip' }));
    expect(result.contentType).toBe('application/zip');
    const listing = unzip(await bytes(result.stream));
    const top = `book-${c1.id.slice(0, 7)}`;
    const when = new Date(c1.committer.timestamp * 1000).toISOString().slice(0, 19);
    // DOS times have two-second resolution.
    const dosWhen = when.slice(0, 17) + String(Math.floor(Number(when.slice(17)) / 2) * 2).padStart(2, '0');
    expect(listing).toEqual([
      [`${top}/`, '0o40755', dosWhen, ''],
      [`${top}/README.md`, '0o100644', dosWhen, 'read me\n'],
      [`${top}/ch/`, '0o40755', dosWhen, ''],
      [`${top}/ch/1.md`, '0o100644', dosWhen, 'one\n'],
      [`${top}/ch/2.md`, '0o100644', dosWhen, 'two\n'],
      [`${top}/z.bin`, '0o100644', dosWhen, '\0\x01\x02'],
    ]);
  });

  it('is byte-identical for the same commit, whatever the ref, time or time zone', async () => {
    const { service } = await harness(factory);
    const c1 = await setup(service);
    ok(await service.createTag('book', 'v1', { ref: 'main', message: 'v1' }));
    const formats = ['tar.gz', 'zip'] as const;
    const make = async (ref: string) => Promise.all(formats.map(async (format) => bytes(ok(await service.archive('book', { ref, format })).stream)));
    const first = await make('main');
    // A second later (wall-clock seconds would show), in another time zone, through other refs.
    await new Promise((r) => setTimeout(r, 1100));
    const previous = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    const second = await make('v1');
    process.env.TZ = previous;
    const third = await make(c1.id);
    for (const i of [0, 1]) {
      expect(second[i]!.equals(first[i]!)).toBe(true);
      expect(third[i]!.equals(first[i]!)).toBe(true);
    }
  });

  it('keeps executables and symlinks, leaves submodules out', async () => {
    const { service, storage } = await harness(factory);
    await service.createRepository('book');
    const commit = await rawCommit(storage.repo('book'), {
      'run.sh': { mode: '100755', content: '#!/bin/sh\n' },
      link: { mode: '120000', content: 'run.sh' },
      sub: { mode: '160000', content: 'a'.repeat(40) },
    });
    ok(await service.createBranch('book', 'main', { from: commit }));
    const tarEntries = await untar(await bytes(ok(await service.archive('book', { format: 'tar.gz' })).stream));
    expect(tarEntries.slice(1).map((e) => [e.name.split('/')[1], e.type, e.mode.toString(8), e.linkname])).toEqual([
      ['link', 'symlink', '777', 'run.sh'],
      ['run.sh', 'file', '755', null],
    ]);
    const zipEntries = unzip(await bytes(ok(await service.archive('book', { format: 'zip' })).stream));
    expect(zipEntries.slice(1).map(([name, mode, , body]) => [name.split('/')[1], mode, body])).toEqual([
      ['link', '0o120777', 'run.sh'],
      ['run.sh', '0o100755', '#!/bin/sh\n'],
    ]);
  });

  it('stops cleanly when the consumer goes away mid-stream', async () => {
    const { service } = await harness(factory);
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 40; i++) files[`f${i}.bin`] = Buffer.alloc(100_000, i);
    await seed(service, 'book', files);
    for (const format of ['tar.gz', 'zip'] as const) {
      const { stream } = ok(await service.archive('book', { format }));
      for await (const chunk of stream) {
        expect((chunk as Buffer).length).toBeGreaterThan(0);
        break; // leaving the loop destroys the stream
      }
      expect(stream.destroyed).toBe(true);
    }
    // The service still serves afterwards.
    expect((await bytes(ok(await service.archive('book', { format: 'zip' })).stream)).length).toBeGreaterThan(0);
  });

  it('answers not-found for unknown repositories and refs, invalid for unknown formats', async () => {
    const { service } = await harness(factory);
    await setup(service);
    expect(await service.archive('book', { ref: 'nope', format: 'zip' })).toMatchObject({ reason: 'not-found', what: 'ref' });
    expect(await service.archive('nope', { format: 'zip' })).toMatchObject({ reason: 'not-found', what: 'repository' });
    expect(await service.archive('book', { format: 'rar' as 'zip' })).toMatchObject({ reason: 'invalid', what: 'format' });
  });
});
