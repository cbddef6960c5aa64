/**
 * The scripted isomorphic-git session every backend must run identically: init a bare repo,
 * 200 commits over 2,000 files in nested folders (trees built with plumbing so it is fast),
 * a branch, a merge, log, readTree at depth, packObjects and indexPack.
 */
import { createHash } from 'node:crypto';
import git, { type TreeEntry } from 'isomorphic-git';
import type { RepoStore } from '../../fs-service/index.js';

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
  packFilename: string;
  packSha: string;
  indexedOids: string[];
  idxSha: string;
  readBackFromPack: string;
}

function filePath(i: number): string {
  const d = Math.floor(i / 200);
  const s = Math.floor((i % 200) / 20);
  const f = i % 20;
  return `d${d}/s${s}/f${f.toString().padStart(2, '0')}.txt`;
}

function content(path: string, version: number): Buffer {
  return Buffer.from(`${path}\nversion ${version}\n${'lorem ipsum '.repeat(4)}\n`);
}

function signature(i: number) {
  return { name: 'Session', email: 'session@example.org', timestamp: 1_700_000_000 + i * 60, timezoneOffset: 0 };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/** An in-memory model of the tree so each commit rewrites only the trees on one path. */
class TreeModel {
  readonly blobs = new Map<string, string>();
  private readonly treeOids = new Map<string, string>();

  constructor(private readonly store: RepoStore) {}

  private dirsOf(path: string): string[] {
    const parts = path.split('/');
    return [parts.slice(0, 2).join('/'), parts[0]!, ''];
  }

  private entriesOf(dir: string): TreeEntry[] {
    const prefix = dir === '' ? '' : dir + '/';
    const children = new Map<string, TreeEntry>();
    for (const [path, oid] of this.blobs) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) children.set(rest, { mode: '100644', path: rest, oid, type: 'blob' });
      else {
        const name = rest.slice(0, slash);
        const childDir = prefix + name;
        children.set(name, { mode: '040000', path: name, oid: this.treeOids.get(childDir)!, type: 'tree' });
      }
    }
    return [...children.values()];
  }

  private async writeDir(dir: string): Promise<string> {
    const oid = await git.writeTree({ fs: this.store.fs, gitdir, tree: this.entriesOf(dir) });
    this.treeOids.set(dir, oid);
    return oid;
  }

  async writeAll(): Promise<string> {
    const leaves = [...new Set([...this.blobs.keys()].map((p) => this.dirsOf(p)[0]!))];
    await mapLimit(leaves, 16, (dir) => this.writeDir(dir));
    const mids = [...new Set(leaves.map((dir) => dir.split('/')[0]!))];
    await mapLimit(mids, 16, (dir) => this.writeDir(dir));
    return this.writeDir('');
  }

  async change(path: string, data: Buffer): Promise<string> {
    this.blobs.set(path, await git.writeBlob({ fs: this.store.fs, gitdir, blob: data }));
    let root = '';
    for (const dir of this.dirsOf(path)) root = await this.writeDir(dir);
    return root;
  }

  clone(): TreeModel {
    const copy = new TreeModel(this.store);
    for (const [k, v] of this.blobs) copy.blobs.set(k, v);
    for (const [k, v] of this.treeOids) copy.treeOids.set(k, v);
    return copy;
  }
}

async function commit(store: RepoStore, tree: string, parent: string[], i: number, message: string): Promise<string> {
  return git.writeCommit({ fs: store.fs, gitdir, commit: { tree, parent, author: signature(i), committer: signature(i), message } });
}

export async function runScriptedSession(store: RepoStore): Promise<SessionResult> {
  const fs = store.fs;
  const cache = {};
  await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });

  const model = new TreeModel(store);
  const paths = Array.from({ length: FILES }, (_, i) => filePath(i));
  const blobOids = await mapLimit(paths, 32, (path) => git.writeBlob({ fs, gitdir, blob: content(path, 0) }));
  paths.forEach((path, i) => model.blobs.set(path, blobOids[i]!));
  let head = await commit(store, await model.writeAll(), [], 0, 'initial import\n');
  const initialCommit = head;
  await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: head, force: true });

  let forkModel: TreeModel | null = null;
  let forkPoint = head;
  for (let i = 1; i < MAIN_COMMITS; i++) {
    const path = paths[(i * 37) % 1000]!; // main edits the first half of the files
    const tree = await model.change(path, content(path, i));
    head = await commit(store, tree, [head], i, `edit ${path}\n`);
    await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: head, force: true });
    if (i === FORK_AT) {
      forkModel = model.clone();
      forkPoint = head;
    }
  }

  await git.branch({ fs, gitdir, ref: 'feature', object: forkPoint });
  let feature = forkPoint;
  const featureModel = forkModel!;
  const featureObjects: string[] = [];
  for (let k = 0; k < FEATURE_COMMITS; k++) {
    const path = paths[1000 + k * 211]!; // the feature edits the other half: a clean merge
    const tree = await featureModel.change(path, content(path, 1000 + k));
    feature = await commit(store, tree, [feature], 1000 + k, `feature ${path}\n`);
    await git.writeRef({ fs, gitdir, ref: 'refs/heads/feature', value: feature, force: true });
    featureObjects.push(feature, tree, featureModel.blobs.get(path)!);
  }

  const merge = await git.merge({
    fs,
    gitdir,
    cache,
    ours: 'main',
    theirs: 'feature',
    noUpdateBranch: true,
    author: signature(2000),
    committer: signature(2000),
    message: 'merge feature\n',
  });
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
  // A fresh cache forces the read to go through the new pack's index.
  const fromPack = await git.readObject({ fs, gitdir, cache: {}, oid: featureObjects[0]!, format: 'parsed' });

  return {
    initialCommit,
    mainHead: head,
    featureHead: feature,
    branches: await git.listBranches({ fs, gitdir }),
    mergeOid,
    mergeTree: mergeCommit.commit.tree,
    logOids: log.map((entry) => entry.oid),
    treeAtDepth: treeAtDepth.tree.map((e) => ({ path: e.path, oid: e.oid, mode: e.mode })),
    deepBlob: Buffer.from(deep.blob).toString('utf8'),
    fileCount: files.length,
    packFilename: packed.filename,
    packSha: createHash('sha1').update(packBytes).digest('hex'),
    indexedOids: [...indexed.oids].sort(),
    idxSha: createHash('sha1').update(idxBytes).digest('hex'),
    readBackFromPack: fromPack.type,
  };
}
