/**
 * Pushes git itself would not send, each made of raw pkt-lines and a pack built byte by byte:
 * objects that fail git's object checks, objects whose links have the wrong type, objects larger
 * than the limits (a 1 GiB blob of zeros in a pack of about a megabyte), ref names git refuses,
 * refs that would be each other's folder, and a push whose only command is stale. Each is refused
 * with the report git prints, and the storage is byte for byte what it was (on disk, for the
 * embedded engine: every file of the data folder, and nothing left in .tmp). Afterwards a fresh
 * clone passes `git fsck --full --strict`.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage, type RepoStore } from '../../../fs-service/index.js';
import { allFiles } from '../domain/helpers/files.js';
import { tearDown } from './helpers/git-client.js';
import { openGitWorld, type GitWorld } from './helpers/git-world.js';
import { gitPost, pkts } from './helpers/http.js';
import { commitFiles } from './helpers/local-repo.js';
import { deflatedZeros, entryHeader, entryOf, IDENT, packOf, packOfEntries, rawCommit, rawObject, rawTag, rawTree, refDeltaEntry, type RawObject } from './helpers/raw-pack.js';
import { serverRef } from './helpers/server-repo.js';
import { STORAGES, type StorageFactory } from './helpers/storages.js';

const ZERO = '0'.repeat(40);
/** What git sends when the server already has every object: a pack of none. */
const EMPTY_PACK = packOfEntries([]);
const MiB = 1024 * 1024;

/** Embedded storage in a folder this suite can look into. */
function embeddedIn(dir: string): StorageFactory {
  return {
    name: 'embedded (data folder checked)',
    create: async () => {
      const storage = await openEmbeddedStorage(dir);
      return { storage, dispose: () => storage.close() };
    },
  };
}

/** Every file under `dir` with a hash of its bytes. */
function folderSnapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(path.slice(dir.length), createHash('sha1').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

async function storeSnapshot(store: RepoStore): Promise<Map<string, string>> {
  const paths = await allFiles(store);
  const contents = await store.readMany(paths);
  return new Map(paths.map((p, i) => [p, createHash('sha1').update(contents[i] ?? Buffer.alloc(0)).digest('hex')]));
}

const dataDir = mkdtempSync(join(tmpdir(), 'hostile-push-'));
const FACTORIES = [embeddedIn(dataDir), ...STORAGES.filter((f) => f.name === 'cluster')];

describe.each(FACTORIES)('hostile pushes over $name storage', (factory) => {
  let world: GitWorld;
  let main: string;
  const onDisk = factory.name.startsWith('embedded');

  const push = async (commands: string[], pack: Buffer, caps = 'report-status'): Promise<string> => {
    const body = Buffer.concat([Buffer.from(pkts(`${commands[0]}\0${caps}\n`, ...commands.slice(1).map((c) => `${c}\n`), '0000'), 'latin1'), pack]);
    const r = await gitPost(world.server.url, 'hostile', 'git-receive-pack', body);
    expect(r.status).toBe(200);
    return r.body.toString('latin1');
  };

  /** Runs `act`, then proves nothing changed: the repository's files, and on disk the whole data folder with .tmp empty. */
  const changesNothing = async (act: () => Promise<void>): Promise<void> => {
    const before = await storeSnapshot(world.store);
    const disk = onDisk ? folderSnapshot(dataDir) : null;
    const events = world.server.events.length;
    await act();
    expect(await storeSnapshot(world.store)).toEqual(before);
    if (disk !== null) {
      expect(folderSnapshot(dataDir)).toEqual(disk);
      expect(readdirSync(join(dataDir, '.tmp'))).toEqual([]);
    }
    expect(world.server.events.length).toBe(events);
  };

  beforeAll(async () => {
    world = await openGitWorld(factory, 'hostile', { maxObjectBytes: 8 * MiB, maxInflatedBytes: 64 * MiB });
    await world.sb.ok(['clone', '-q', world.url, 'work']);
    main = await commitFiles(world.sb, world.sb.path('work'), { 'README.md': 'hello\n', 'book/ch1.md': '# One\n' }, 'initial');
    await world.sb.ok(['push', '-q', 'origin', 'main'], { cwd: world.sb.path('work') });
  });

  afterAll(async () => {
    await tearDown(world);
    if (onDisk) rmSync(dataDir, { recursive: true, force: true });
  });

  const blob = rawObject('blob', 'content\n');
  const goodTree = rawTree([{ mode: '100644', name: 'a.md', oid: blob.oid }]);

  /** Each case: the objects pushed (the last one is what the new branch points to) and the problem reported. */
  const badObjects: [string, () => RawObject[], RegExp][] = [
    ['a commit whose tree is a blob', () => [blob, rawCommit(blob.oid)], /badLinkType: commit \w+ links to \w+ \(tree\) as a tree, but it is a blob/],
    ['a commit whose parent is a tree', () => [blob, goodTree, rawCommit(goodTree.oid, [goodTree.oid])], /badLinkType: .* \(parent\) as a commit, but it is a tree/],
    ['a folder entry that is a blob', () => [blob, rawTree([{ mode: '40000', name: 'dir', oid: blob.oid }])].concat([]), /badLinkType: .* \(dir\) as a tree, but it is a blob/],
    ['a file entry that is a commit', () => {
      const inner = rawCommit(goodTree.oid);
      const tree = rawTree([{ mode: '100644', name: 'f', oid: inner.oid }]);
      return [blob, goodTree, inner, tree, rawCommit(tree.oid)];
    }, /badLinkType: .* \(f\) as a blob, but it is a commit/],
    ...(['..', '.', '.git', '.GIT', '', 'a/b', 'a\\b', '.git.', 'GIT~1', '\u200c.git', '．ｇｉｔ'].map((name): [string, () => RawObject[], RegExp] => [
      `a tree entry named ${JSON.stringify(name)}`,
      () => {
        const tree = rawTree([{ mode: '100644', name, oid: blob.oid }]);
        return [blob, tree, rawCommit(tree.oid)];
      },
      /(emptyName|hasDot|hasDotdot|hasDotgit|fullPathname|badTreeEntryName):/,
    ])),
    ['a tree entry whose name is not UTF-8', () => {
      const tree = rawTree([{ mode: '100644', name: Buffer.from([0x66, 0xff]), oid: blob.oid }]);
      return [blob, tree, rawCommit(tree.oid)];
    }, /badTreeEntryName: a name is not valid UTF-8/],
    ['mode 777777', () => {
      const tree = rawTree([{ mode: '777777', name: 'x', oid: blob.oid }]);
      return [blob, tree, rawCommit(tree.oid)];
    }, /badFilemode: mode "777777"/],
    ['a zero-padded folder mode', () => {
      const tree = rawTree([{ mode: '040000', name: 'd', oid: goodTree.oid }]);
      return [blob, goodTree, tree, rawCommit(tree.oid)];
    }, /zeroPaddedFilemode/],
    ['entries out of order', () => {
      const tree = rawTree([{ mode: '100644', name: 'b', oid: blob.oid }, { mode: '100644', name: 'a', oid: blob.oid }]);
      return [blob, tree, rawCommit(tree.oid)];
    }, /treeNotSorted/],
    ['an entry twice', () => {
      const tree = rawTree([{ mode: '100644', name: 'a', oid: blob.oid }, { mode: '100644', name: 'a', oid: blob.oid }]);
      return [blob, tree, rawCommit(tree.oid)];
    }, /duplicateEntries/],
    ['an author without an email', () => [blob, goodTree, rawCommit(goodTree.oid, [], { author: 'A U Thor 1700000000 +0000' })], /missingEmail.*\(author\)/],
    ['a committer with a bad time zone', () => [blob, goodTree, rawCommit(goodTree.oid, [], { committer: 'C <c@example.test> 1700000000 +00' })], /badTimezone.*\(committer\)/],
    ['a zero-padded date', () => [blob, goodTree, rawCommit(goodTree.oid, [], { author: 'A <a@example.test> 01700000000 +0000' })], /zeroPaddedDate/],
    ['a commit without a committer', () => [blob, goodTree, rawObject('commit', `tree ${goodTree.oid}\nauthor ${IDENT}\n\nx\n`)], /missingCommitter/],
    ['a commit whose header never ends', () => [blob, goodTree, rawObject('commit', `tree ${goodTree.oid}\nauthor ${IDENT}\ncommitter ${IDENT}`)], /unterminatedHeader/],
  ];

  it.each(badObjects)('refuses %s with git\'s unpack error and stores nothing', async (_name, objects, problem) => {
    const list = objects();
    const tip = list[list.length - 1] as RawObject;
    await changesNothing(async () => {
      const text = await push([`${ZERO} ${tip.oid} refs/heads/bad`], packOf(list));
      expect(text).toMatch(new RegExp(`unpack [^\\n]*${problem.source}`));
      expect(text).toContain('ng refs/heads/bad unpacker error');
    });
    expect(await serverRef(world.store, 'refs/heads/bad')).toBeNull();
  });

  it('refuses a tag whose declared type is not its object\'s type', async () => {
    const tag = rawTag(goodTree.oid, 'commit', 'v-bad');
    await changesNothing(async () => {
      const text = await push([`${ZERO} ${tag.oid} refs/tags/v-bad`], packOf([blob, goodTree, tag]));
      expect(text).toMatch(/unpack badLinkType: tag \w+ links to \w+ \(object\) as a commit, but it is a tree/);
    });
  });

  it('refuses a 1 GiB blob of zeros (a pack of about a megabyte) from its header, without inflating it', async () => {
    const size = 1024 * MiB;
    const entry = Buffer.concat([entryHeader('blob', size), await deflatedZeros(size)]);
    const tree = rawTree([{ mode: '100644', name: 'zeros.bin', oid: '1'.repeat(40) }]);
    const pack = packOfEntries([entry, entryOf(tree), entryOf(rawCommit(tree.oid))]);
    expect(pack.length).toBeLessThan(2 * MiB);
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const start = process.memoryUsage().rss;
    try {
      await changesNothing(async () => {
        const text = await push([`${ZERO} ${rawCommit(tree.oid).oid} refs/heads/zeros`], pack);
        expect(text).toContain(`unpack an object of ${size} bytes exceeds the limit of ${8 * MiB} bytes per object`);
      });
    } finally {
      clearInterval(sampler);
    }
    expect(peak - start).toBeLessThan(64 * MiB);
  });

  it('refuses an entry that inflates to more than its header declares, without inflating the rest', async () => {
    const entry = Buffer.concat([entryHeader('blob', 10), await deflatedZeros(512 * MiB)]);
    await changesNothing(async () => {
      const text = await push([`${ZERO} ${'1'.repeat(40)} refs/heads/liar`], packOfEntries([entry]));
      expect(text).toContain('unpack pack is corrupt: entry 1 inflates to more than the 10 bytes its header declares');
    });
  });

  it('refuses a pack that inflates past the per-push total', async () => {
    // Nine distinct blobs of 7.5 MiB each: every one under the object limit, 67.5 MiB together.
    const blobs = Array.from({ length: 9 }, (_, i) => rawObject('blob', Buffer.alloc(7.5 * MiB, i + 1)));
    await changesNothing(async () => {
      const text = await push([`${ZERO} ${'1'.repeat(40)} refs/heads/total`], packOf(blobs));
      expect(text).toContain(`unpack the pack inflates to more than the limit of ${64 * MiB} bytes per push`);
    });
  });

  it('refuses ref names git refuses, per command', async () => {
    const tree = goodTree;
    const commit = rawCommit(tree.oid, [main]);
    for (const ref of ['refs/heads', 'refs/x', 'refs/heads/a.lock/b', 'refs/heads/x.lock', 'refs/heads/.hidden', 'HEAD']) {
      await changesNothing(async () => {
        const text = await push([`${ZERO} ${commit.oid} ${ref}`], packOf([blob, tree, commit]));
        expect(text).toContain(`ng ${ref} funny refname`);
      });
    }
  });

  it('refuses a ref below an existing ref, and a ref above existing refs, with nothing changed', async () => {
    const commit = rawCommit(goodTree.oid, [main]);
    const pack = packOf([blob, goodTree, commit]);
    await changesNothing(async () => {
      const text = await push([`${ZERO} ${commit.oid} refs/heads/main/sub`], pack);
      expect(text).toContain('ng refs/heads/main/sub refname conflict with refs/heads/main');
    });
    const landed = await push([`${ZERO} ${main} refs/heads/drafts/ch1`], EMPTY_PACK);
    expect(landed).toContain('ok refs/heads/drafts/ch1');
    await changesNothing(async () => {
      const text = await push([`${ZERO} ${commit.oid} refs/heads/drafts`], pack);
      expect(text).toContain('ng refs/heads/drafts refname conflict with refs/heads/drafts/ch1');
    });
  });

  it('two refs of one push that clash: atomic lands neither; without atomic the report says which landed', async () => {
    await changesNothing(async () => {
      const text = await push([`${ZERO} ${main} refs/heads/dfx`, `${ZERO} ${main} refs/heads/dfx/y`], EMPTY_PACK, 'report-status atomic');
      expect(text).toMatch(/ng refs\/heads\/dfx(\/y)? (refname conflict|atomic push failure)/);
      expect(text).not.toContain('ok refs/heads/dfx');
    });
    const text = await push([`${ZERO} ${main} refs/heads/dfx`, `${ZERO} ${main} refs/heads/dfx/y`], EMPTY_PACK);
    expect(text).toContain('ok refs/heads/dfx\n');
    expect(text).toContain('ng refs/heads/dfx/y refname conflict with refs/heads/dfx');
    expect(await serverRef(world.store, 'refs/heads/dfx')).toBe(main);
    expect(await serverRef(world.store, 'refs/heads/dfx/y')).toBeNull();
  });

  it('a push whose only command is stale stores no pack', async () => {
    const commit = rawCommit(goodTree.oid, [main], { message: 'never lands\n' });
    await changesNothing(async () => {
      const text = await push([`${'2'.repeat(40)} ${commit.oid} refs/heads/main`], packOf([blob, goodTree, commit]));
      expect(text).toContain('unpack ok');
      expect(text).toContain('ng refs/heads/main stale info');
    });
  });

  it('a full clone sends only what refs reach: a deleted branch stays behind, even as a delta base', async () => {
    const work = world.sb.path('work');
    const shared = 'a paragraph every chapter repeats\n'.repeat(300);
    await world.sb.ok(['checkout', '-q', '-b', 'secret'], { cwd: work });
    const secret = await commitFiles(world.sb, work, { 'notes.md': `${shared}the secret\n` }, 'secret');
    await world.sb.ok(['push', '-q', 'origin', 'secret'], { cwd: work });
    const secretBlob = (await world.sb.ok(['rev-parse', `${secret}:notes.md`], { cwd: work })).trim();
    // A thin pack for main whose file is a delta against the secret one: the server completes it
    // by appending the secret blob, so main's stored pack holds a base that no ref will reach.
    const publicText = Buffer.from(`${shared}the public part\n`);
    const publicBlob = rawObject('blob', publicText);
    const tree = rawTree([
      { mode: '100644', name: 'README.md', oid: (await world.sb.ok(['rev-parse', `${main}:README.md`], { cwd: work })).trim() },
      { mode: '40000', name: 'book', oid: (await world.sb.ok(['rev-parse', `${main}:book`], { cwd: work })).trim() },
      { mode: '100644', name: 'notes.md', oid: publicBlob.oid },
    ]);
    const pub = rawCommit(tree.oid, [main], { message: 'public\n' });
    const secretSize = Buffer.byteLength(`${shared}the secret\n`);
    const pushed = await push([`${main} ${pub.oid} refs/heads/main`], packOfEntries([refDeltaEntry(secretBlob, secretSize, publicText), entryOf(tree), entryOf(pub)]));
    expect(pushed).toContain('ok refs/heads/main');
    await world.sb.ok(['push', '-q', 'origin', ':secret'], { cwd: work });
    await world.sb.ok(['clone', '-q', world.url, 'after-delete']);
    const dir = world.sb.path('after-delete');
    expect((await world.sb.git(['cat-file', '-e', secretBlob], { cwd: dir })).code).not.toBe(0);
    expect((await world.sb.git(['cat-file', '-e', secret], { cwd: dir })).code).not.toBe(0);
    expect((await world.sb.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim()).toBe(pub.oid);
    expect(await world.sb.ok(['show', 'HEAD:notes.md'], { cwd: dir })).toBe(publicText.toString());
    const fsck = await world.sb.git(['fsck', '--full', '--strict', '--no-dangling'], { cwd: dir });
    expect(fsck.code, fsck.stderr).toBe(0);
    main = pub.oid;
  });

  it('after all of it, a fresh clone is git fsck --full --strict clean and main is where it was', async () => {
    expect(await serverRef(world.store, 'refs/heads/main')).toBe(main);
    await world.sb.ok(['clone', '-q', '--mirror', world.url, 'after.git']);
    const fsck = await world.sb.git(['fsck', '--full', '--strict', '--no-dangling'], { cwd: world.sb.path('after.git') });
    expect(fsck.stderr + fsck.stdout).toBe('');
    expect(fsck.code).toBe(0);
  });
});
