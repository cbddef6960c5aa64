import { readFileSync } from 'node:fs';
import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RepoStore, Storage } from '../../../fs-service/index.js';
import { buildBigRepo } from './helpers/big-repo.js';
import { GitSandbox, tearDown } from './helpers/git-client.js';
import { commitFiles, fsckClean } from './helpers/local-repo.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { openGitWorld } from './helpers/git-world.js';
import type { TestServer } from './helpers/server.js';
import { isoFs, serverRef } from './helpers/server-repo.js';
import { STORAGES } from './helpers/storages.js';

const SHAPE = { files: 5000, commits: 500, binaries: 3, binaryBytes: 1536 * 1024 };

describe.each(STORAGES)('a repository of 5,000 files and 500 commits over $name storage', (factory) => {
  let storage: Storage;
  let dispose: () => Promise<void>;
  let server: TestServer;
  let store: RepoStore;
  let sb: GitSandbox;
  let url: string;
  let source: string;
  const logger = recordingLogger();

  beforeAll(async () => {
    ({ storage, dispose, server, sb, store, url } = await openGitWorld(factory, 'big', { logger }));
    source = sb.path('source');
    await buildBigRepo(sb, source, SHAPE);
  }, 120_000);

  afterAll(() => tearDown({ server, sb, dispose }));

  it('pushes the whole history (a chunked push after the probe)', async () => {
    await sb.ok(['push', '-q', url, 'main'], { cwd: source, timeoutMs: 120_000 });
    expect(await serverRef(store, 'refs/heads/main')).toBe((await sb.ok(['rev-parse', 'HEAD'], { cwd: source })).trim());
    // Read back through isomorphic-git on the store (what the REST API does): bytes identical.
    const head = (await serverRef(store, 'refs/heads/main')) as string;
    const blob = await git.readBlob({ fs: isoFs(store), gitdir: '/', oid: head, filepath: 'media/image1.bin' });
    expect(Buffer.compare(Buffer.from(blob.blob), readFileSync(`${source}/media/image1.bin`))).toBe(0);
  }, 120_000);

  it.each(['2', '0'])('clones it with protocol.version=%s, fsck clean, same tree', async (version) => {
    const dir = sb.path(`clone-v${version}`);
    const bare = version === '0';
    await sb.ok(['-c', `protocol.version=${version}`, 'clone', '-q', ...(bare ? ['--bare'] : []), url, dir], { timeoutMs: 120_000 });
    await fsckClean(sb, dir);
    expect((await sb.ok(['rev-parse', 'HEAD^{tree}'], { cwd: dir })).trim()).toBe((await sb.ok(['rev-parse', 'HEAD^{tree}'], { cwd: source })).trim());
    expect((await sb.ok(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim()).toBe(String(SHAPE.commits));
    if (!bare) expect(Buffer.compare(readFileSync(`${dir}/media/image0.bin`), readFileSync(`${source}/media/image0.bin`))).toBe(0);
  }, 120_000);

  it('pushes 10 commits and another clone fetches just those', async () => {
    const work = sb.path('clone-v2');
    for (let i = 0; i < 10; i++) await commitFiles(sb, work, { [`part00/sec0/file${i}.md`]: `edited ${i}\n`, [`new/n${i}.md`]: `new ${i}\n` }, `edit ${i}`);
    await sb.ok(['push', '-q', 'origin', 'main'], { cwd: work });
    const before = logger.records.length;
    for (const version of ['2', '0']) {
      const dir = sb.path(`clone-v${version}`);
      const target = version === '0' ? dir : sb.path('clone-v2-again');
      if (version === '2') await sb.ok(['clone', '-q', '--depth', '1', url, target]);
      else await sb.ok(['-c', 'protocol.version=0', 'fetch', '-q', 'origin', 'main:main'], { cwd: target });
      await fsckClean(sb, target);
    }
    const sent = logger.records.slice(before).filter((r) => r.msg === 'upload-pack sent pack');
    // The incremental v0 fetch: 10 commits, their trees and blobs only.
    const incremental = sent[sent.length - 1]?.obj;
    expect(incremental?.path).toBe('enumerated');
    expect(Number(incremental?.count)).toBeLessThan(100);
  }, 120_000);
});
