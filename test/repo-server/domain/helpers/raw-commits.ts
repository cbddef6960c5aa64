/**
 * Builds commits directly with isomorphic-git, for shapes the API never makes (executables,
 * symlinks, submodules, unrelated roots, merge commits with chosen parents).
 */
import isogit from 'isomorphic-git';
import type { RepoStore } from '../../../../fs-service/index.js';

export interface RawFile {
  mode?: '100644' | '100755' | '120000' | '160000';
  content: string | Buffer;
}

type Tree = Map<string, Tree | { mode: string; oid: string }>;

async function writeTree(store: RepoStore, tree: Tree): Promise<string> {
  const entries = [];
  for (const [name, node] of tree) {
    if (node instanceof Map) entries.push({ mode: '040000', path: name, oid: await writeTree(store, node), type: 'tree' as const });
    else entries.push({ mode: node.mode, path: name, oid: node.oid, type: node.mode === '160000' ? ('commit' as const) : ('blob' as const) });
  }
  return isogit.writeTree({ fs: store.fs, gitdir: '/', tree: entries });
}

export async function rawTree(store: RepoStore, files: Record<string, string | Buffer | RawFile>): Promise<string> {
  const root: Tree = new Map();
  for (const [path, spec] of Object.entries(files)) {
    const file = typeof spec === 'string' || Buffer.isBuffer(spec) ? { content: spec } : spec;
    const mode = file.mode ?? '100644';
    const oid = mode === '160000' ? String(file.content) : await isogit.writeBlob({ fs: store.fs, gitdir: '/', blob: Buffer.from(file.content) });
    const parts = path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.get(part);
      if (!(next instanceof Map)) dir.set(part, (next = new Map()));
      dir = next;
    }
    dir.set(parts[parts.length - 1]!, { mode, oid });
  }
  return writeTree(store, root);
}

let clock = 1_700_000_000;

export async function rawCommit(store: RepoStore, files: Record<string, string | Buffer | RawFile>, parents: string[] = [], message = 'raw'): Promise<string> {
  const tree = await rawTree(store, files);
  const who = { name: 'Raw', email: 'raw@example.org', timestamp: clock++, timezoneOffset: 0 };
  return isogit.writeCommit({ fs: store.fs, gitdir: '/', commit: { tree, parent: parents, message: `${message}\n`, author: who, committer: who } });
}
