/**
 * The scripted isomorphic-git session every backend must run identically: init a bare repo,
 * 200 commits over 2,000 files in nested folders (d<k>/s<k>/f<kk>.txt), a branch, a merge,
 * log, readTree at depth, packObjects and indexPack.
 *
 * Durable writes cost an fsync per copy, so the per-commit work is arranged to be concurrent
 * where git allows it: the first commit's 2,111 objects arrive as one pack (as a push would
 * bring them) indexed with indexPack on the backend, and the next 199 commits are written in
 * waves (all blobs, then each tree level, then the commit chain), all with isomorphic-git
 * plumbing on the backend under test.
 */
import { createHash } from 'node:crypto';
import git, { type TreeEntry } from 'isomorphic-git';
import type { RepoStore } from '../../fs-service/index.js';
import { buildPack, commitObject, gitObject, treeObject, type GitObject, type TreeItem } from './pack-builder.js';

export const FILES = 2_000;
export const MAIN_COMMITS = 200;
export const FEATURE_COMMITS = 5;
const FORK_AT = 180;

const gitdir = '/';

export interface SessionResult {
  initialCommit: string;
  mainHead: string;
  featureHead: string;
  branches: string[];
  mergeOid: string;
  mergeTree: string;
  logOids: string[];
  treeAtDepth: { path: string; oid: string; mode: string }[];
  deepBlob: string;
  fileCount: number;
  importedOids: number;
  packFilename: string;
  packSha: string;
  indexedOids: string[];
  idxSha: string;
  readBackFromPack: string;
}

function filePath(i: number): string {
  return `d${Math.floor(i / 200)}/s${Math.floor((i % 200) / 20)}/f${(i % 20).toString().padStart(2, '0')}.txt`;
}

function content(path: string, version: number): Buffer {
  return Buffer.from(`${path}\nversion ${version}\n${'lorem ipsum '.repeat(4)}\n`);
}

function signature(i: number) {
  return { name: 'Session', email: 'session@example.org', timestamp: 1_700_000_000 + i * 60, timezoneOffset: 0 };
}

function parentDir(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * Trees of a sequence of snapshots, where snapshot k differs from k-1 in one file. The tree of
 * folder D at snapshot k is the one written at the last snapshot <= k that changed a file below D.
 */
class History {
  /** path -> [snapshot, blob oid] in increasing snapshot order */
  private readonly files = new Map<string, [number, string][]>();
  /** folder -> [snapshot, tree oid] in increasing snapshot order */
  private readonly trees = new Map<string, [number, string][]>();
  private readonly children = new Map<string, Set<string>>();

  addFile(path: string, snapshot: number, oid: string): void {
    const list = this.files.get(path) ?? [];
    list.push([snapshot, oid]);
    this.files.set(path, list);
    for (let child = path, dir = parentDir(path); ; child = dir, dir = parentDir(dir)) {
      const set = this.children.get(dir) ?? new Set();
      set.add(child);
      this.children.set(dir, set);
      if (dir === '') break;
    }
  }

  addTree(dir: string, snapshot: number, oid: string): void {
    const list = this.trees.get(dir) ?? [];
    list.push([snapshot, oid]);
    list.sort((a, b) => a[0] - b[0]);
    this.trees.set(dir, list);
  }

  private at(list: [number, string][], snapshot: number): string {
    let found: string | undefined;
    for (const [k, oid] of list) if (k <= snapshot) found = oid;
    if (found === undefined) throw new Error('no version at that snapshot');
    return found;
  }

  entries(dir: string, snapshot: number): TreeEntry[] {
    return [...this.children.get(dir)!].map((child) => {
      const name = child.slice(dir === '' ? 0 : dir.length + 1);
      const file = this.files.get(child);
      if (file !== undefined) return { mode: '100644', path: name, oid: this.at(file, snapshot), type: 'blob' };
      return { mode: '040000', path: name, oid: this.at(this.trees.get(child)!, snapshot), type: 'tree' };
    });
  }

  treeAt(dir: string, snapshot: number): string {
    return this.at(this.trees.get(dir)!, snapshot);
  }

  /** The history as it stood at `snapshot`, to continue on another branch. */
  forkAt(snapshot: number): History {
    const copy = new History();
    for (const [path, list] of this.files) copy.files.set(path, list.filter(([k]) => k <= snapshot));
    for (const [dir, list] of this.trees) copy.trees.set(dir, list.filter(([k]) => k <= snapshot));
    for (const [dir, set] of this.children) copy.children.set(dir, new Set(set));
    return copy;
  }
}

interface Import {
  pack: Buffer;
  filename: string;
  commit: string;
  history: History;
  objects: number;
}

let importCache: Import | null = null;

/** The first commit's objects as one pack, built once and reused by every backend. */
function buildImport(paths: string[]): Import {
  if (importCache !== null) return importCache;
  const history = new History();
  const objects: GitObject[] = [];
  for (const path of paths) {
    const blob = gitObject('blob', content(path, 0));
    history.addFile(path, 0, blob.oid);
    objects.push(blob);
  }
  for (const depth of [2, 1, 0]) {
    for (const dir of new Set(paths.map((p) => p.split('/').slice(0, depth).join('/')))) {
      const tree = treeObject(history.entries(dir, 0) as TreeItem[]);
      history.addTree(dir, 0, tree.oid);
      objects.push(tree);
    }
  }
  const commit = commitObject({ tree: history.treeAt('', 0), parents: [], author: signature(0), committer: signature(0), message: 'initial import\n' });
  objects.push(commit);
  importCache = { ...buildPack(objects), commit: commit.oid, history, objects: objects.length };
  return importCache;
}

export async function runScriptedSession(store: RepoStore): Promise<SessionResult> {
  const fs = store.fs;
  const cache = {};
  const paths = Array.from({ length: FILES }, (_, i) => filePath(i));
  await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });

  // Commit 1: 2,000 files arrive as a pack, indexed on this backend.
  const imported = buildImport(paths);
  await fs.promises.writeFile(`/objects/pack/${imported.filename}`, imported.pack);
  const { oids: importedOids } = await git.indexPack({ fs, dir: '/', gitdir, filepath: `objects/pack/${imported.filename}` });
  const history = imported.history.forkAt(0);
  await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: imported.commit, force: true });

  // Commits 2..200: each edits one file of the first half; written in waves.
  const edits = Array.from({ length: MAIN_COMMITS - 1 }, (_, k) => ({ snapshot: k + 1, path: paths[((k + 1) * 37) % 1000]! }));
  const blobs = await mapLimit(edits, 32, (e) => git.writeBlob({ fs, gitdir, blob: content(e.path, e.snapshot) }));
  edits.forEach((e, k) => history.addFile(e.path, e.snapshot, blobs[k]!));
  for (const depth of [2, 1, 0]) {
    const jobs = edits.map((e) => ({ snapshot: e.snapshot, dir: e.path.split('/').slice(0, depth).join('/') }));
    const trees = await mapLimit(jobs, 32, (j) => git.writeTree({ fs, gitdir, tree: history.entries(j.dir, j.snapshot) }));
    jobs.forEach((j, k) => history.addTree(j.dir, j.snapshot, trees[k]!));
  }
  let head = imported.commit;
  let forkPoint = head;
  for (const e of edits) {
    head = await git.writeCommit({ fs, gitdir, commit: { tree: history.treeAt('', e.snapshot), parent: [head], author: signature(e.snapshot), committer: signature(e.snapshot), message: `edit ${e.path}\n` } });
    if (e.snapshot === FORK_AT) forkPoint = head;
  }
  await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: head, force: true });

  // A feature branch forked at commit 180 edits the other half: a clean merge.
  await git.branch({ fs, gitdir, ref: 'feature', object: forkPoint });
  const branch = history.forkAt(FORK_AT);
  let feature = forkPoint;
  const featureObjects: string[] = [];
  for (let k = 0; k < FEATURE_COMMITS; k++) {
    const snapshot = 1000 + k;
    const path = paths[1000 + k * 211]!;
    const blob = await git.writeBlob({ fs, gitdir, blob: content(path, snapshot) });
    branch.addFile(path, snapshot, blob);
    for (const depth of [2, 1, 0]) {
      const dir = path.split('/').slice(0, depth).join('/');
      branch.addTree(dir, snapshot, await git.writeTree({ fs, gitdir, tree: branch.entries(dir, snapshot) }));
    }
    const tree = branch.treeAt('', snapshot);
    feature = await git.writeCommit({ fs, gitdir, commit: { tree, parent: [feature], author: signature(snapshot), committer: signature(snapshot), message: `feature ${path}\n` } });
    featureObjects.push(feature, tree, blob);
  }
  await git.writeRef({ fs, gitdir, ref: 'refs/heads/feature', value: feature, force: true });

  const merge = await git.merge({ fs, gitdir, cache, ours: 'main', theirs: 'feature', noUpdateBranch: true, author: signature(2000), committer: signature(2000), message: 'merge feature\n' });
  if (merge.oid === undefined) throw new Error('the merge produced no commit');
  const mergeOid = merge.oid;
  await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: mergeOid, force: true });

  const log = await git.log({ fs, gitdir, cache, ref: 'main', depth: 300 });
  const mergeCommit = await git.readCommit({ fs, gitdir, cache, oid: mergeOid });
  const treeAtDepth = await git.readTree({ fs, gitdir, cache, oid: mergeOid, filepath: 'd7/s3' });
  const deep = await git.readBlob({ fs, gitdir, cache, oid: await git.resolveRef({ fs, gitdir, ref: 'feature' }), filepath: paths[1000]! });
  const files = await git.listFiles({ fs, gitdir, cache, ref: 'main' });

  const packed = await git.packObjects({ fs, gitdir, cache, oids: featureObjects, write: true });
  const packPath = `/objects/pack/${packed.filename}`;
  const packBytes = (await fs.promises.readFile(packPath)) as Buffer;
  const indexed = await git.indexPack({ fs, dir: '/', gitdir, filepath: packPath.slice(1), cache: {} });
  const idxBytes = (await fs.promises.readFile(packPath.replace(/\.pack$/, '.idx'))) as Buffer;
  // A fresh cache makes the read find the object through the pack indexes.
  const fromPack = await git.readObject({ fs, gitdir, cache: {}, oid: featureObjects[0]!, format: 'parsed' });

  return {
    initialCommit: imported.commit,
    mainHead: head,
    featureHead: feature,
    branches: await git.listBranches({ fs, gitdir }),
    mergeOid,
    mergeTree: mergeCommit.commit.tree,
    logOids: log.map((entry) => entry.oid),
    treeAtDepth: treeAtDepth.tree.map((e) => ({ path: e.path, oid: e.oid, mode: e.mode })),
    deepBlob: Buffer.from(deep.blob).toString('utf8'),
    fileCount: files.length,
    importedOids: importedOids.length,
    packFilename: packed.filename,
    packSha: createHash('sha1').update(packBytes).digest('hex'),
    indexedOids: [...indexed.oids].sort(),
    idxSha: createHash('sha1').update(idxBytes).digest('hex'),
    readBackFromPack: fromPack.type,
  };
}
