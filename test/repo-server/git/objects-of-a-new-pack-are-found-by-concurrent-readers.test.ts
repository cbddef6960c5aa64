/**
 * The object store keeps its list of packs and lists again when an object is not found, since a
 * push may have published a pack since. Readers that miss at the same moment must each find the
 * new pack: one reader's relisting must not make another conclude there is nothing new (a pushed
 * commit read by two requests at once was answered 404, "No ref named main", in the cluster tests).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { GitCache, ObjectStore } from '../../../repo-server/git/index.js';
import { GitSandbox } from '../git-http/helpers/git-client.js';
import { commitFiles } from '../git-http/helpers/local-repo.js';

const sb = new GitSandbox('new-pack-');
afterAll(() => sb.cleanup());

/** Packs the objects reachable from `tip` but not from `base` with the real git; returns the pack's files. */
async function pack(work: string, tip: string, base: string | null, name: string): Promise<Record<string, Buffer>> {
  await sb.ok(['pack-objects', '-q', '--revs', sb.path(name)], { cwd: work, input: base === null ? `${tip}\n` : `${tip}\n^${base}\n` });
  const out: Record<string, Buffer> = {};
  for (const file of readdirSync(sb.root).filter((f) => f.startsWith(`${name}-`))) out[file.slice(name.length + 1)] = readFileSync(sb.path(file));
  return out;
}

describe('a pack published after the list of packs was read', () => {
  it('is found by every reader that misses at once, whichever of them lists again first', async () => {
    const work = sb.path('work');
    await sb.ok(['init', '-q', work]);
    const first = await commitFiles(sb, work, { 'a.md': 'first\n' }, 'first');
    const second = await commitFiles(sb, work, { 'b.md': 'second\n', 'c.md': 'third\n' }, 'second');
    const newIds = (await sb.ok(['rev-list', '--objects', second, `^${first}`], { cwd: work })).split('\n').map((l) => l.slice(0, 40)).filter((id) => id.length === 40);
    expect(newIds.length).toBeGreaterThanOrEqual(4); // the commit, its tree, two blobs

    const storage = new MemoryStorage();
    const store = storage.repo('book');
    await store.fs.promises.mkdir('/objects/pack', { recursive: true });
    const publish = async (files: Record<string, Buffer>) => {
      // The .idx last, as receive-pack does: it is what makes a pack visible.
      const sorted = Object.entries(files).sort(([a], [b]) => (a.endsWith('.idx') ? 1 : 0) - (b.endsWith('.idx') ? 1 : 0));
      for (const [file, bytes] of sorted) await store.fs.promises.writeFile(`/objects/pack/pack-${file}`, bytes);
    };
    await publish(await pack(work, first, null, 'one'));

    const objects = new ObjectStore(store, new GitCache(16 * 1024 * 1024));
    expect((await objects.read(first))?.type).toBe('commit'); // the list of packs is now known
    await publish(await pack(work, second, first, 'two'));
    // Every new object at once, each asked for its content and its type.
    const answers = await Promise.all([...newIds.map((id) => objects.read(id)), ...newIds.map((id) => objects.typeOf(id))]);
    expect(answers.map((a, i) => (a === null ? newIds[i % newIds.length] : 'found'))).toEqual(answers.map(() => 'found'));
  });
});
