/**
 * A full clone lists the loose objects while REST writes may be half done: a commit already
 * listed whose tree was not, or whose parent sits in a pack published after the packs were
 * listed. git's clone checks every received object's links and dies ("did not receive expected
 * object") on such a pack. The whole-repository path sends only objects the refs reach, and of
 * the loose ones only those whose links are all sent, so the clone succeeds and holds exactly
 * what its refs reach.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tearDown } from './helpers/git-client.js';
import { commitFiles, fsckClean } from './helpers/local-repo.js';
import { recordingLogger } from './helpers/recording-logger.js';
import { openGitWorld, type GitWorld } from './helpers/git-world.js';
import { commitOnServer, looseObjectOnServer, serverRef } from './helpers/server-repo.js';
import { STORAGES } from './helpers/storages.js';

const ABSENT = 'f'.repeat(40);

function commitText(tree: string, parents: string[], message: string): Buffer {
  const who = 'Half Written <half@example.test> 1700000000 +0000';
  return Buffer.from(`tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}author ${who}\ncommitter ${who}\n\n${message}\n`);
}

function treeText(entries: { mode: string; name: string; oid: string }[]): Buffer {
  return Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.oid, 'hex')])));
}

describe.each(STORAGES)('a full clone over $name storage while loose objects are half written', (factory) => {
  let world: GitWorld;
  const logger = recordingLogger();
  const dangling: Record<string, string> = {};
  let closedBlob = '';

  beforeAll(async () => {
    world = await openGitWorld(factory, 'half-written', { logger });
    const { sb, store, url } = world;
    const seed = sb.path('seed');
    await sb.ok(['init', '-q', '-b', 'main', seed]);
    for (let i = 0; i < 3; i++) await commitFiles(sb, seed, { 'book.md': `# Book\nrev ${i}\n` }, `pushed ${i}`);
    await sb.ok(['push', '-q', url, 'main'], { cwd: seed });
    const head = await commitOnServer(store, 'main', { 'chapters/one.md': 'through the API\n' }, 'rest commit');
    // A commit listed before its tree: the tree is not there.
    dangling.commitWithoutTree = await looseObjectOnServer(store, 'commit', commitText(ABSENT, [head], 'tree not listed'));
    // A commit whose parent is in a pack this request did not list.
    const blob = await looseObjectOnServer(store, 'blob', Buffer.from('a closed, unreachable blob\n'));
    closedBlob = blob;
    const closedTree = await looseObjectOnServer(store, 'tree', treeText([{ mode: '100644', name: 'x.md', oid: blob }]));
    dangling.commitWithoutParent = await looseObjectOnServer(store, 'commit', commitText(closedTree, ['e'.repeat(40)], 'parent not listed'));
    // A tree listed before one of its blobs, and a commit above it: both must stay behind.
    dangling.treeWithoutBlob = await looseObjectOnServer(store, 'tree', treeText([{ mode: '100644', name: 'y.md', oid: 'd'.repeat(40) }]));
    dangling.commitAboveIt = await looseObjectOnServer(store, 'commit', commitText(dangling.treeWithoutBlob, [head], 'above a half tree'));
    dangling.commitAboveThat = await looseObjectOnServer(store, 'commit', commitText(closedTree, [dangling.commitAboveIt], 'two levels up'));
  });

  afterAll(() => tearDown(world));

  it.each(['2', '0'])('protocol.version=%s: the clone succeeds, fsck clean, through the whole-repository path', async (version) => {
    const { sb, store, url } = world;
    const dir = sb.path(`clone-v${version}`);
    const before = logger.records.length;
    await sb.ok(['-c', `protocol.version=${version}`, 'clone', '-q', url, dir]);
    await fsckClean(sb, dir);
    expect((await sb.ok(['rev-parse', 'HEAD'], { cwd: dir })).trim()).toBe(await serverRef(store, 'refs/heads/main'));
    expect(Number((await sb.ok(['rev-list', '--count', 'HEAD'], { cwd: dir })).trim())).toBe(4);
    expect(await sb.ok(['show', 'HEAD:chapters/one.md'], { cwd: dir })).toBe('through the API\n');
    expect(logger.records.slice(before).some((r) => r.obj.path === 'whole-repository')).toBe(true);
    // Every object with a dangling link, directly or through another, stayed behind...
    for (const [what, oid] of Object.entries(dangling)) {
      const r = await sb.git(['cat-file', '-e', oid], { cwd: dir });
      expect(r.code, `${what} ${oid} was sent`).not.toBe(0);
    }
    // ...and so did a complete object no ref reaches: a full clone sends only what refs reach.
    expect((await sb.git(['cat-file', '-e', closedBlob], { cwd: dir })).code).not.toBe(0);
  });
});
