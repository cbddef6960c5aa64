/**
 * `npm run fsck`: for repositories written before pushes were checked, finds every object a ref
 * reaches that fails today's checks (or is missing, or has the wrong type for its link) and says
 * which refs reach it; a clean repository is reported clean. Run as an operator runs it, in a
 * child process on the embedded data folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../fs-service/index.js';
import { applyRefUpdates } from '../../repo-server/git/refs/ref-update.js';
import { commitOnServer, initRepo, looseObjectOnServer } from './git-http/helpers/server-repo.js';

const root = mkdtempSync(join(tmpdir(), 'fsck-cli-'));
const dataDir = join(root, 'data');
const IDENT = 'Old Import <old@example.test> 1100000000 +0000';

function fsck(args: string[]) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'repo-server/fsck-cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DATA_DIR: dataDir, FS_SHARDS: '' },
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe('npm run fsck', () => {
  const bad: Record<string, string> = {};
  let good = '';

  beforeAll(async () => {
    const storage = await openEmbeddedStorage(dataDir);
    const events = { publish: () => undefined };
    const legacy = storage.repo('legacy');
    await initRepo(legacy);
    good = await commitOnServer(legacy, 'main', { 'a.md': 'fine\n' }, 'good');
    // Written the way pushes were accepted before the checks: straight into storage.
    const blob = await looseObjectOnServer(legacy, 'blob', Buffer.from('hook\n'));
    bad.tree = await looseObjectOnServer(legacy, 'tree', Buffer.concat([Buffer.from('100644 .git\0'), Buffer.from(blob, 'hex')]));
    bad.commit = await looseObjectOnServer(legacy, 'commit', Buffer.from(`tree ${bad.tree}\nparent ${good}\nauthor ${IDENT}\ncommitter ${IDENT}\n\npoisoned\n`));
    const wrongType = await looseObjectOnServer(legacy, 'commit', Buffer.from(`tree ${blob}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nblob as tree\n`));
    bad.blobAsTree = blob;
    for (const [ref, oid] of [
      ['refs/heads/poisoned', bad.commit],
      ['refs/tags/poisoned-too', bad.commit],
      ['refs/heads/wrong-type', wrongType],
    ] as const) {
      expect((await applyRefUpdates(legacy, [{ ref, old: null, new: oid }], { actor: 't', via: 'rest', events })).ok).toBe(true);
    }
    const clean = storage.repo('clean');
    await initRepo(clean);
    await commitOnServer(clean, 'main', { 'b.md': 'b\n' }, 'clean');
    await storage.close();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names each bad object with its problem and the refs that reach it, and exits 1', () => {
    const r = fsck([]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^clean: 1 refs, \d+ objects: clean$/m);
    expect(r.stdout).toMatch(/^legacy: 4 refs, \d+ objects: 2 bad object\(s\)$/m);
    expect(r.stdout).toContain(`  ${bad.tree}: hasDotgit: ".git" is reserved by git (tree)\n    reached from: refs/heads/poisoned, refs/tags/poisoned-too\n`);
    expect(r.stdout).toContain(`  ${bad.blobAsTree}: badLinkType: linked from commit`);
    expect(r.stdout).toMatch(/as a tree, but it is a blob\n    reached from: refs\/heads\/wrong-type\n/);
    expect(r.stdout).not.toMatch(/reached from: .*refs\/heads\/main/);
  });

  it('--json gives one line per repository; a clean repository alone exits 0', () => {
    const r = fsck(['--json', 'legacy']);
    expect(r.status).toBe(1);
    const line = JSON.parse(r.stdout.trim()) as { repo: string; faults: { oid: string; refs: string[] }[] };
    expect(line.repo).toBe('legacy');
    expect(line.faults.map((f) => f.oid).sort()).toEqual([bad.tree, bad.blobAsTree].sort());
    expect(fsck(['clean']).status).toBe(0);
  });

  it('--help explains it; an unknown option or a bad name exits 2 with the usage', () => {
    const help = fsck(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run fsck/);
    for (const args of [['--fix'], ['../etc']]) {
      const r = fsck(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('usage: npm run fsck');
    }
  });
});
