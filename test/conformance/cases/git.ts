import { existsSync, writeFileSync } from 'node:fs';
import type { CaseRun, CaseSpec } from '../case.js';
import type { Context } from '../context.js';
import type { GitResult } from '../git-client.js';
import { NO_CACHE, equal, header } from '../expect.js';
import { SetupError, branchHead, commitFiles, putFile } from '../fixtures.js';
import { FLUSH, emptyPack, pktLine, pktPayloads } from '../git-objects.js';

/**
 * Git smart HTTP with the real `git` (clone, fetch, push, rejected push, ls-remote; protocol v0
 * and v2), plus the protocol's HTTP rules checked directly (content types, no caching, the
 * dumb-protocol refusal) and a stale ref update sent by hand, which git itself never sends.
 */

const UPLOAD_ADVERTISEMENT = 'application/x-git-upload-pack-advertisement';

function remote(ctx: Context): string {
  return ctx.http.url(ctx.gitPath());
}

/** A working copy made by an earlier case; its absence fails the case as a set-up problem. */
function clone(ctx: Context, name: 'v2' | 'v0'): string {
  const dir = ctx.git().path(`clone-${name}`);
  if (!existsSync(dir)) throw new SetupError(`the ${name} clone was not made (see git/clone-${name})`);
  return dir;
}

async function commitLocally(ctx: Context, dir: string, file: string, text: string): Promise<string> {
  const git = ctx.git();
  writeFileSync(`${dir}/${file}`, text);
  await git.ok(['-C', dir, 'add', file]);
  await git.ok(['-C', dir, 'commit', '-q', '-m', `conformance: ${file}`]);
  return (await git.ok(['-C', dir, 'rev-parse', 'HEAD'])).trim();
}

/** The refs ls-remote printed, by name. */
function refsOf(out: string): Map<string, string> {
  return new Map(out.trim().split('\n').filter((l) => l !== '').map((l) => { const [id, name] = l.split('\t'); return [name ?? '', id ?? '']; }));
}

/** Records git's exit as the case's actual value; false (and a failed check) unless it is 0. */
function exitedZero(t: CaseRun, r: GitResult): boolean {
  t.actual(`exit ${r.code}`);
  const said = r.stderr.split('\n').filter((l) => !l.includes('packet:')).join(' ').trim().slice(0, 160);
  return t.check('git exit', r.code === 0, '0', `${r.code} ${said}`);
}

/** GIT_TRACE_PACKET shows the pkt-lines, so the protocol actually spoken can be checked. */
const TRACE = { GIT_TRACE_PACKET: '1' };
const spokeV2 = (stderr: string): boolean => /< version 2/.test(stderr);

function protocolCheck(t: CaseRun, stderr: string, version: 0 | 2): void {
  t.check('protocol spoken', spokeV2(stderr) === (version === 2), `v${version}`, spokeV2(stderr) ? 'v2' : 'v0');
}

async function lsRemote(t: CaseRun, version: 0 | 2): Promise<void> {
  const head = await branchHead(t.ctx, 'main');
  const r = await t.ctx.git().run(['ls-remote', remote(t.ctx)], { protocol: version, env: TRACE });
  if (!exitedZero(t, r)) return;
  const refs = refsOf(r.stdout);
  equal(t, 'refs/heads/main = REST head', head, refs.get('refs/heads/main'));
  equal(t, 'HEAD = REST head', head, refs.get('HEAD'));
  protocolCheck(t, r.stderr, version);
}

async function cloneCase(t: CaseRun, version: 0 | 2): Promise<void> {
  // Written once: both clones must see the same head, or the later push would not fast-forward.
  await t.ctx.memo('git-from-rest', () => putFile(t.ctx, 'git/from-rest.txt', 'written through REST\n'));
  const head = await branchHead(t.ctx, 'main');
  const git = t.ctx.git();
  const dir = git.path(`clone-${version === 2 ? 'v2' : 'v0'}`);
  const r = await git.run(['clone', '-q', remote(t.ctx), dir], { protocol: version, env: TRACE });
  if (!exitedZero(t, r)) return;
  equal(t, 'HEAD = REST head', head, (await git.ok(['-C', dir, 'rev-parse', 'HEAD'])).trim());
  const fsck = await git.run(['-C', dir, 'fsck', '--full']);
  t.check('git fsck --full', fsck.code === 0, 'clean', fsck.stderr.trim().slice(0, 120) || 'clean');
  equal(t, 'file written through REST', true, existsSync(`${dir}/git/from-rest.txt`));
  protocolCheck(t, r.stderr, version);
}

async function fetchCase(t: CaseRun, version: 0 | 2): Promise<void> {
  const dir = clone(t.ctx, version === 2 ? 'v2' : 'v0');
  const head = await commitFiles(t.ctx, 'main', { [`git/fetched-v${version}.txt`]: 'committed through REST\n' });
  const r = await t.ctx.git().run(['-C', dir, 'fetch', '-q', 'origin'], { protocol: version, env: TRACE });
  if (!exitedZero(t, r)) return;
  equal(t, 'origin/main = REST head', head, (await t.ctx.git().ok(['-C', dir, 'rev-parse', 'origin/main'])).trim());
  protocolCheck(t, r.stderr, version);
}

export const gitCases: CaseSpec[] = [
  {
    id: 'git/info-refs',
    title: 'info/refs?service=git-upload-pack: the v0 advertisement, its content type, never cached',
    expect: 200,
    async run(t) {
      await putFile(t.ctx, 'git/seed.txt', 'seed\n');
      const head = await branchHead(t.ctx, 'main');
      const ex = await t.exchange({ method: 'GET', target: t.ctx.gitPath('/info/refs?service=git-upload-pack') }, { git: true });
      header(t, ex, 'content-type', UPLOAD_ADVERTISEMENT);
      header(t, ex, 'cache-control', NO_CACHE);
      const lines = pktPayloads(ex.body);
      equal(t, 'first pkt-line', '# service=git-upload-pack\n', lines[0]);
      t.check('advertises main', lines.some((l) => l.startsWith(`${head} refs/heads/main`)), `${head.slice(0, 12)} refs/heads/main`, lines.slice(1, 3).join(' | ').slice(0, 120));
    },
  },
  {
    id: 'git/info-refs-v2',
    title: 'info/refs with Git-Protocol: version=2: the v2 capability advertisement',
    expect: 200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.gitPath('/info/refs?service=git-upload-pack'), headers: { 'Git-Protocol': 'version=2' } }, { git: true });
      header(t, ex, 'content-type', UPLOAD_ADVERTISEMENT);
      const lines = pktPayloads(ex.body).map((l) => l.trim());
      t.check('version 2 with ls-refs and fetch', lines.includes('version 2') && lines.some((l) => l.startsWith('ls-refs')) && lines.some((l) => l.startsWith('fetch')), 'version 2, ls-refs, fetch', lines.join(' | ').slice(0, 120));
    },
  },
  {
    id: 'git/info-refs-receive-pack',
    title: 'info/refs?service=git-receive-pack: its advertisement with report-status',
    expect: 200,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.gitPath('/info/refs?service=git-receive-pack') }, { git: true });
      header(t, ex, 'content-type', 'application/x-git-receive-pack-advertisement');
      header(t, ex, 'cache-control', NO_CACHE);
      t.check('report-status', ex.body.toString('latin1').includes('report-status'), 'capability listed', ex.body.toString('latin1').slice(0, 100));
    },
  },
  {
    id: 'git/dumb-refused',
    title: 'info/refs without ?service= (the dumb protocol) is refused, not served',
    expect: 403,
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.gitPath('/info/refs') }, { git: true });
    },
  },
  {
    id: 'git/upload-pack-get',
    title: 'GET of git-upload-pack: 405 with Allow: POST',
    expect: 405,
    async run(t) {
      const ex = await t.exchange({ method: 'GET', target: t.ctx.gitPath('/git-upload-pack') }, { git: true });
      header(t, ex, 'allow', /POST/);
    },
  },
  {
    id: 'git/upload-pack-wrong-type',
    title: 'POST to git-upload-pack with another Content-Type: 415',
    expect: 415,
    async run(t) {
      await t.exchange({ method: 'POST', target: t.ctx.gitPath('/git-upload-pack'), headers: { 'Content-Type': 'application/json' }, body: '{}' }, { git: true });
    },
  },
  {
    id: 'git/unknown-repository',
    title: 'info/refs of a repository that does not exist: 404',
    expect: 404,
    async run(t) {
      await t.exchange({ method: 'GET', target: `/${t.ctx.repo}-missing.git/info/refs?service=git-upload-pack` }, { git: true });
    },
  },
  {
    id: 'git/ls-remote-v2',
    title: 'git ls-remote (protocol v2) lists main at the commit REST reports',
    expect: 'exit 0, refs = REST',
    async run(t) {
      await lsRemote(t, 2);
    },
  },
  {
    id: 'git/ls-remote-v0',
    title: 'git ls-remote (protocol v0) lists main at the commit REST reports',
    expect: 'exit 0, refs = REST',
    async run(t) {
      await lsRemote(t, 0);
    },
  },
  {
    id: 'git/clone-v2',
    title: 'git clone (v2): HEAD = REST head, fsck clean, files written through REST present',
    expect: 'exit 0, fsck clean',
    async run(t) {
      await cloneCase(t, 2);
    },
  },
  {
    id: 'git/clone-v0',
    title: 'git clone (v0): the same through the original protocol',
    expect: 'exit 0, fsck clean',
    async run(t) {
      await cloneCase(t, 0);
    },
  },
  {
    id: 'git/push',
    title: 'git push of a new commit: accepted, and REST serves it at once',
    expect: 'exit 0, REST = pushed',
    async run(t) {
      const dir = clone(t.ctx, 'v2');
      const pushed = await commitLocally(t.ctx, dir, 'pushed.txt', 'pushed with git\n');
      const r = await t.ctx.git().run(['-C', dir, 'push', '-q', 'origin', 'HEAD:main']);
      if (!exitedZero(t, r)) return;
      equal(t, 'REST head = pushed commit', pushed, await branchHead(t.ctx, 'main'));
      const file = await t.ctx.send({ method: 'GET', target: t.ctx.repoPath('/contents/pushed.txt') });
      equal(t, 'REST serves the pushed file', 'pushed with git\n', file.body.toString('utf8'));
    },
  },
  {
    id: 'git/push-new-branch',
    title: 'git push of a new branch: REST lists it',
    expect: 'exit 0, branch in REST',
    async run(t) {
      const dir = clone(t.ctx, 'v2');
      const r = await t.ctx.git().run(['-C', dir, 'push', '-q', 'origin', 'HEAD:refs/heads/conf-pushed-branch']);
      if (!exitedZero(t, r)) return;
      const local = (await t.ctx.git().ok(['-C', dir, 'rev-parse', 'HEAD'])).trim();
      equal(t, 'REST branch', local, await branchHead(t.ctx, 'conf-pushed-branch'));
    },
  },
  {
    id: 'git/push-rejected',
    title: 'git push from a stale clone (not a fast-forward): rejected, the branch does not move',
    expect: 'exit != 0, rejected',
    async run(t) {
      const dir = clone(t.ctx, 'v0');
      const before = await branchHead(t.ctx, 'main');
      await commitLocally(t.ctx, dir, 'stale.txt', 'from a clone that did not fetch\n');
      const r = await t.ctx.git().run(['-C', dir, 'push', 'origin', 'HEAD:main']);
      t.actual(`exit ${r.code}`);
      t.check('git refused', r.code !== 0 && /rejected|non-fast-forward|fetch first/i.test(r.stderr), 'rejected (fetch first / non-fast-forward)', r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 160));
      equal(t, 'REST head unchanged', before, await branchHead(t.ctx, 'main'));
      // Put the clone back on the remote's history for the fetch case.
      await t.ctx.git().ok(['-C', dir, 'reset', '-q', '--hard', 'HEAD~1']);
    },
  },
  {
    id: 'git/fetch-v0',
    title: 'git fetch (v0) after a REST commit brings exactly that commit',
    expect: 'exit 0, origin/main = REST',
    async run(t) {
      await fetchCase(t, 0);
    },
  },
  {
    id: 'git/fetch-v2',
    title: 'git fetch (v2) after a REST commit brings exactly that commit',
    expect: 'exit 0, origin/main = REST',
    async run(t) {
      await fetchCase(t, 2);
    },
  },
  {
    id: 'git/push-stale-old-id',
    title: 'A ref update whose old id is stale (sent by hand): reported "ng", the ref does not move',
    expect: 200,
    async run(t) {
      const old = await commitFiles(t.ctx, 'main', { 'git/cas-1.txt': '1' });
      const head = await commitFiles(t.ctx, 'main', { 'git/cas-2.txt': '2' });
      // Claims main is still at `old` and asks to move it back there: a compare-and-swap must fail.
      const command = pktLine(`${old} ${old} refs/heads/main\0report-status\n`);
      const ex = await t.exchange(
        { method: 'POST', target: t.ctx.gitPath('/git-receive-pack'), headers: { 'Content-Type': 'application/x-git-receive-pack-request', Accept: 'application/x-git-receive-pack-result' }, body: Buffer.concat([command, FLUSH, emptyPack()]) },
        { git: true },
      );
      const report = pktPayloads(ex.body).map((l) => l.trim());
      t.check('report-status says ng', report.some((l) => l.startsWith('ng refs/heads/main')), 'ng refs/heads/main <reason>', report.join(' | ').slice(0, 160));
      equal(t, 'REST head unchanged', head, await branchHead(t.ctx, 'main'));
    },
  },
];

/** After the scratch repository is deleted, git must not find it either. */
export const gitCleanupCases: CaseSpec[] = [
  {
    id: 'git/after-delete',
    title: 'After DELETE of the repository, git cannot find it (ls-remote fails, info/refs 404)',
    expect: 404,
    async run(t) {
      await t.exchange({ method: 'GET', target: t.ctx.gitPath('/info/refs?service=git-upload-pack') }, { git: true });
      const r = await t.ctx.git().run(['ls-remote', remote(t.ctx)]);
      t.check('git ls-remote fails', r.code !== 0, 'exit != 0', `exit ${r.code}`);
    },
  },
];
