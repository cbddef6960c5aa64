import git from 'isomorphic-git';
import { FileSystem } from 'isomorphic-git/models';
import type { RepoStore } from '../../../../fs-service/index.js';
import { applyRefUpdates, METADATA_PATH, readRef, type RefEventSink } from '../../../../repo-server/git/index.js';

type IsoFs = Parameters<typeof git.init>[0]['fs'];

const wrapped = new WeakMap<RepoStore, IsoFs>();

/** isomorphic-git's fs for a store, wrapped once so no probe calls are made per API call. */
export function isoFs(store: RepoStore): IsoFs {
  let fs = wrapped.get(store);
  if (fs === undefined) {
    fs = new FileSystem(store.fs as unknown as IsoFs) as unknown as IsoFs;
    wrapped.set(store, fs);
  }
  return fs;
}

/** A bare repository with HEAD -> refs/heads/main and its metadata (what makes it exist), as the REST API creates one. */
export async function initRepo(store: RepoStore): Promise<void> {
  const at = new Date().toISOString();
  await store.createExclusive(METADATA_PATH, `${JSON.stringify({ description: '', defaultBranch: 'main', createdAt: at, updatedAt: at })}\n`);
  await git.init({ fs: isoFs(store), gitdir: '/', bare: true, defaultBranch: 'main' });
}

/**
 * One commit made on the server side with isomorphic-git (loose objects), moved in through
 * applyRefUpdates like a REST commit. Files map path -> content; the previous tree is kept.
 */
export async function commitOnServer(
  store: RepoStore,
  branch: string,
  files: Record<string, string | Buffer>,
  message: string,
  events: RefEventSink = { publish: () => undefined },
): Promise<string> {
  const fs = isoFs(store);
  const cache = {};
  const ref = `refs/heads/${branch}`;
  const parent = await readRef(store, ref);
  const root: Record<string, unknown> = {};
  if (parent !== null) {
    const files0 = await git.listFiles({ fs, gitdir: '/', ref: parent, cache });
    for (const path of files0) {
      const { oid } = await git.readBlob({ fs, gitdir: '/', oid: parent, filepath: path, cache });
      setPath(root, path, oid);
    }
  }
  for (const [path, content] of Object.entries(files)) {
    const oid = await git.writeBlob({ fs, gitdir: '/', blob: typeof content === 'string' ? Buffer.from(content) : content });
    setPath(root, path, oid);
  }
  const tree = await writeTreeRec(fs, root);
  const now = Math.floor(Date.now() / 1000);
  const who = { name: 'Server Side', email: 'server@example.test', timestamp: now, timezoneOffset: 0 };
  const commit = await git.writeCommit({
    fs,
    gitdir: '/',
    commit: { message: `${message}\n`, tree, parent: parent === null ? [] : [parent], author: who, committer: who },
  });
  const moved = await applyRefUpdates(store, [{ ref, old: parent, new: commit }], { actor: 'rest-test', via: 'rest', events });
  if (!moved.ok) throw new Error('ref moved concurrently');
  return commit;
}

function setPath(root: Record<string, unknown>, path: string, oid: string): void {
  const parts = path.split('/');
  let node = root;
  for (const dir of parts.slice(0, -1)) {
    if (typeof node[dir] !== 'object' || node[dir] === null) node[dir] = {};
    node = node[dir] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = oid;
}

async function writeTreeRec(fs: IsoFs, node: Record<string, unknown>): Promise<string> {
  const tree: { mode: string; path: string; oid: string; type: 'blob' | 'tree' }[] = [];
  for (const [name, value] of Object.entries(node)) {
    if (typeof value === 'string') tree.push({ mode: '100644', path: name, oid: value, type: 'blob' });
    else tree.push({ mode: '040000', path: name, oid: await writeTreeRec(fs, value as Record<string, unknown>), type: 'tree' });
  }
  return git.writeTree({ fs, gitdir: '/', tree });
}

/** An annotated tag made on the server side (loose tag object + applyRefUpdates). */
export async function tagOnServer(store: RepoStore, name: string, target: string, message: string): Promise<string> {
  const who = { name: 'Server Side', email: 'server@example.test', timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
  const oid = await git.writeTag({
    fs: isoFs(store),
    gitdir: '/',
    tag: { object: target, type: 'commit', tag: name, tagger: who, message: `${message}\n` },
  });
  const ok = await applyRefUpdates(store, [{ ref: `refs/tags/${name}`, old: null, new: oid }], {
    actor: 'rest-test',
    via: 'rest',
    events: { publish: () => undefined },
  });
  if (!ok.ok) throw new Error(`tag ${name} exists`);
  return oid;
}

/** Ref -> id straight from the store (what the REST API would answer). */
export async function serverRef(store: RepoStore, ref: string): Promise<string | null> {
  return readRef(store, ref);
}

/** A loose object of any content, links unchecked: what a half-finished write leaves visible. */
export async function looseObjectOnServer(store: RepoStore, type: 'commit' | 'tree' | 'blob', content: Buffer): Promise<string> {
  return git.writeObject({ fs: isoFs(store), gitdir: '/', type, object: content, format: 'content' });
}
