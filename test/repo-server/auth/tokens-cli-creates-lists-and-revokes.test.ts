/** The operator's token CLI works on the service's own storage: create (secret shown once), list, revoke. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../../fs-service/index.js';
import { TokenStore } from '../../../repo-server/auth/token-store.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tokens-cli-'));
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'repo-server/tokens-cli.ts', ...args], { env: { ...process.env, DATA_DIR: dir, FS_ETCD: '' } });

describe('npm run tokens', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a token whose secret verifies, lists it without the secret, and revokes it', async () => {
    const created = await cli('create', '--name', 'editor', '--repo', 'book=write');
    const [recordLine, token] = created.stdout.trim().split('\n');
    const record = JSON.parse(recordLine!) as { id: string; grants: unknown };
    expect(record.grants).toEqual({ repos: { book: 'write' } });
    expect(token).toMatch(/^crt_[0-9a-f]{16}_/);

    const listed = await cli('list');
    expect(listed.stdout).toContain(record.id);
    expect(listed.stdout).not.toContain(token!.slice(22));

    await cli('revoke', record.id);
    const storage = await openEmbeddedStorage(dir);
    try {
      expect(await new TokenStore(storage).verify(token!)).toBeNull();
    } finally {
      await storage.close();
    }
  }, 60_000);

  it('refuses a bad role with a clear message and a non-zero exit', async () => {
    await expect(cli('create', '--name', 'x', '--global', 'root')).rejects.toMatchObject({ stderr: expect.stringContaining('role must be read, write or admin') });
  }, 60_000);
});
