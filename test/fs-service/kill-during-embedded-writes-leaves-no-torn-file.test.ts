import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../fs-service/index.js';

const root = mkdtempSync(join(tmpdir(), 'fs-crash-'));
const children: number[] = [];
afterAll(() => {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(root, { recursive: true, force: true });
});

function verify(bytes: Buffer): number {
  const newline = bytes.indexOf(0x0a);
  const [version, digest] = bytes.subarray(1, newline).toString().split(':');
  expect(createHash('sha1').update(bytes.subarray(newline + 1)).digest('hex')).toBe(digest);
  return Number(version);
}

it('kill -9 during a stream of durable writes and packs published from parts leaves every file and pack whole and every swap atomic', async () => {
  const acked = new Map<string, number>();
  const packs = new Set<string>();
  let swapped = 0;
  for (let round = 0; round < 3; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/embedded-writer.ts'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child.pid!);
    let buffered = '';
    let acks = 0;
    const enough = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          const [kind, a, b] = line.split(' ');
          if (kind === 'ack') {
            acked.set(a!, Number(b));
            acks++;
          } else if (kind === 'swap') swapped = Number(a);
          else if (kind === 'pack') packs.add(a!);
          if (acks >= 40 + round * 17) resolve();
        }
      });
    });
    await enough;
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const storage = await openEmbeddedStorage(root);
    const repo = storage.repo('crash');
    for (const [path, version] of acked) {
      const bytes = (await repo.fs.promises.readFile(path)) as Buffer;
      expect(verify(bytes)).toBeGreaterThanOrEqual(version);
    }
    for (const name of await repo.fs.promises.readdir('/files')) verify((await repo.fs.promises.readFile(`/files/${name}`)) as Buffer);
    const [a, b] = await repo.readMany(['/refs/a', '/refs/b']);
    expect(a).toEqual(b);
    expect(Number(a!.toString())).toBeGreaterThanOrEqual(swapped);
    // A published pack is whole (its bytes hash to its name); an interrupted one is only an incoming file.
    const listed = await repo.fs.promises.readdir('/objects/pack');
    for (const pack of packs) expect(listed).toContain(pack.slice('/objects/pack/'.length));
    for (const name of listed.filter((n) => n.startsWith('pack-'))) {
      const bytes = (await repo.fs.promises.readFile(`/objects/pack/${name}`)) as Buffer;
      expect(`pack-${createHash('sha1').update(bytes).digest('hex')}.pack`).toBe(name);
      verify(bytes);
    }
    await storage.close();
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
  }
  expect(packs.size).toBeGreaterThan(3);
}, 60_000);
