/**
 * A push of over 300 MiB (incompressible figures of 12 MiB and thousands of small text files)
 * through nginx into the cluster (3 shards, 3 copies, 2 front ends): it streams through nginx (no
 * request buffering, the push limit rather than the REST limit), lands on the primary in parts
 * replicated to the copies, and afterwards every copy holds the same bytes, no incoming file is
 * left on any shard, and a clone through nginx is fsck-clean and equal to what was pushed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSandbox, killSpawned } from '../repo-server/git-http/helpers/git-client.js';
import { incomingFiles } from '../repo-server/git-http/helpers/incoming-files.js';
import { createRepo } from './helpers/api.js';
import { TestCluster } from './helpers/cluster.js';

const MiB = 1024 * 1024;

describe('a large push through nginx into the cluster (3 shards, 3 copies)', () => {
  let cluster: TestCluster;
  const sb = new GitSandbox('cluster-large-push-');

  beforeAll(async () => {
    cluster = await TestCluster.start({ frontends: 2, authOff: true, name: 'large-push' });
    const work = sb.path('book');
    mkdirSync(join(work, 'media'), { recursive: true });
    await sb.ok(['init', '-q', work]);
    for (let i = 0; i < 25; i++) writeFileSync(join(work, 'media', `figure-${i}.png`), randomBytes(12 * MiB));
    await sb.ok(['add', '-A'], { cwd: work });
    await sb.ok(['commit', '-q', '-m', 'figures'], { cwd: work });
    for (let c = 0; c < 5; c++) {
      mkdirSync(join(work, `chapter-${c}`), { recursive: true });
      for (let i = 0; i < 300; i++) writeFileSync(join(work, `chapter-${c}`, `section-${i}.md`), `# ${c}.${i}\n\n${'Words of the book. '.repeat(20 + i)}\n`);
      await sb.ok(['add', '-A'], { cwd: work });
      await sb.ok(['commit', '-q', '-m', `chapter ${c}`], { cwd: work });
    }
  }, 300_000);

  afterAll(async () => {
    killSpawned();
    await cluster?.stop();
    sb.cleanup();
  });

  it('lands, every copy holds the same bytes, nothing incoming is left, and the clone is fsck-clean', async () => {
    await createRepo({ base: cluster.url, auth: cluster.auth }, 'book');
    const t0 = performance.now();
    const pushed = await sb.git(['push', '-q', `${cluster.url}/book.git`, 'main'], { cwd: sb.path('book'), timeoutMs: 900_000 });
    expect(pushed.code, pushed.stderr).toBe(0);
    console.info(`cluster push of 300 MiB: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const converged = await cluster.copiesConverge('book', 120_000);
    expect(converged.ok, converged.detail).toBe(true);
    const packs = [...converged.copies[0]!.entries.keys()].filter((p) => /\/objects\/pack\/pack-[0-9a-f]{40}\.pack$/.test(p));
    expect(packs.length).toBeGreaterThan(0);
    expect(incomingFiles(join(cluster.dir, 'shards'))).toEqual([]);

    await sb.ok(['clone', '-q', '--bare', `${cluster.url}/book.git`, sb.path('clone.git')], { timeoutMs: 600_000 });
    await sb.ok(['fsck', '--full', '--strict'], { cwd: sb.path('clone.git'), timeoutMs: 600_000 });
    const source = (await sb.ok(['rev-parse', 'HEAD^{tree}'], { cwd: sb.path('book') })).trim();
    expect((await sb.ok(['rev-parse', 'main^{tree}'], { cwd: sb.path('clone.git') })).trim()).toBe(source);
  }, 900_000);
});
