/**
 * A repository's commit graph, kept beside it (/commit-graph/): a stack of immutable layers
 * (layer.ts) named by /commit-graph/chain, bottom first. It is extended as commits arrive
 * (after every ref update, REST or push, and before any walk that needs it: a tip it does not
 * cover is added first, so a crash between a ref update and the graph's update loses nothing),
 * built whole when missing, and its top layers are merged when the stack grows, so lookups stay
 * few. Two front ends extending it at once are decided by a compare-and-swap of the chain.
 */
import { createHash } from 'node:crypto';
import type { CommitSource } from '../ancestry.js';
import type { Oid, TreeEntry } from '../object.js';
import { cost } from '../store/cache.js';
import type { ObjectStore } from '../store/object-store.js';
import { buildFilter, MAX_PATHS, withFolders } from './changed-paths.js';
import { encodeLayer, Layer, type GraphCommit } from './layer.js';

export const GRAPH_DIR = '/commit-graph';
export const CHAIN_PATH = `${GRAPH_DIR}/chain`;
/** More layers than this: the top ones are merged into one. */
const MAX_LAYERS = 6;
const NAME = /^[0-9a-f]{40}$/;

function layerPath(name: string): string {
  return `${GRAPH_DIR}/${name}.layer`;
}

/** The layers of one chain, addressed by position in the whole graph. */
export class CommitGraph {
  readonly size: number;

  constructor(
    readonly names: readonly string[],
    readonly layers: readonly Layer[],
    /** The chain file as read (the expected value of the next compare-and-swap). */
    readonly chain: Buffer | null,
  ) {
    const top = layers[layers.length - 1];
    this.size = top === undefined ? 0 : top.base + top.count;
  }

  /** Position of a commit in the graph, or -1 when the graph does not hold it. */
  position(oid: Oid): number {
    for (const layer of this.layers) {
      const i = layer.find(oid);
      if (i >= 0) return layer.base + i;
    }
    return -1;
  }

  private at(pos: number): [Layer, number] {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l] as Layer;
      if (pos >= layer.base) return [layer, pos - layer.base];
    }
    throw new RangeError(`no commit at position ${pos}`);
  }

  oid(pos: number): Oid {
    const [layer, i] = this.at(pos);
    return layer.oid(i);
  }

  tree(pos: number): Oid {
    const [layer, i] = this.at(pos);
    return layer.tree(i);
  }

  parents(pos: number): number[] {
    const [layer, i] = this.at(pos);
    return layer.parents(i);
  }

  time(pos: number): number {
    const [layer, i] = this.at(pos);
    return layer.time(i);
  }

  generation(pos: number): number {
    const [layer, i] = this.at(pos);
    return layer.generation(i);
  }

  filter(pos: number): Buffer | null {
    const [layer, i] = this.at(pos);
    return layer.filter(i);
  }
}

/** The graph as stored now (one read of the chain; layers from the cache once read). */
export async function loadGraph(objects: ObjectStore): Promise<CommitGraph> {
  const [chain] = await objects.store.readMany([CHAIN_PATH]);
  const names = (chain?.toString('latin1') ?? '').split('\n').filter((n) => n !== '');
  if (!names.every((n) => NAME.test(n))) return new CommitGraph([], [], chain ?? null);
  const layers: Layer[] = [];
  for (const name of names) {
    const layer = await readLayer(objects, name);
    // A missing or foreign layer: the graph is rebuilt from nothing on the next extension.
    if (layer === null || layer.base !== (layers.length === 0 ? 0 : (layers[layers.length - 1] as Layer).base + (layers[layers.length - 1] as Layer).count)) {
      return new CommitGraph([], [], chain ?? null);
    }
    layers.push(layer);
  }
  return new CommitGraph(names, layers, chain ?? null);
}

async function readLayer(objects: ObjectStore, name: string): Promise<Layer | null> {
  const kept = objects.cache.get<Layer>('graph', objects.repo, name);
  if (kept !== undefined) return kept;
  let bytes: Buffer;
  try {
    bytes = Buffer.from((await objects.store.fs.promises.readFile(layerPath(name))) as Buffer);
  } catch {
    return null;
  }
  const layer = Layer.parse(bytes);
  if (layer !== null) objects.cache.set('graph', objects.repo, name, layer, layer.byteLength + cost.small);
  return layer;
}

/** A commit on its way into a layer: parents by id until positions are known. */
interface Pending {
  oid: Oid;
  tree: Oid;
  parents: Oid[];
  time: number;
  generation: number;
  filter: Buffer | null;
}

/** Below this many missing commits a reader adds them in memory only; from it on, they are stored. */
const PERSIST_FROM = 64;

/**
 * The graph, covering every commit the tips reach. The commits it lacks are read once and given
 * generation numbers and changed-path filters. Many of them (a push), or `persist`, and they are
 * stored as a new layer, the chain naming it only once it is written; a few (the REST commits
 * since the last extension) are only added in memory for this answer. A store that refuses the
 * write (a read-only vbucket) still gets its answer from memory.
 */
export async function graphCovering(objects: ObjectStore, tips: readonly Oid[], persist = false): Promise<CommitGraph> {
  for (let attempt = 0; ; attempt++) {
    const graph = await loadGraph(objects);
    const missing = await collectMissing(objects, graph, tips);
    if (missing.length === 0) return graph;
    const added = await describe(objects, graph, missing);
    if ((!persist && missing.length < PERSIST_FROM) || attempt >= 5) return withLayer(graph, added);
    let next: { names: string[]; layers: Layer[] };
    let chain: Buffer;
    try {
      next = await stacked(objects, graph, added);
      chain = Buffer.from(`${next.names.join('\n')}\n`);
      if (!(await objects.store.compareAndSwap([{ path: CHAIN_PATH, expected: graph.chain, next: chain }]))) continue;
    } catch {
      return withLayer(graph, added);
    }
    removeLater(objects, graph.names, next.names);
    return new CommitGraph(next.names, next.layers, chain);
  }
}

/** The graph with `added` on top, in memory only. */
function withLayer(graph: CommitGraph, added: Pending[]): CommitGraph {
  const newPos = new Map([...added].sort((a, b) => (a.oid < b.oid ? -1 : 1)).map((c, i) => [c.oid, graph.size + i]));
  const positionOf = (oid: Oid): number => newPos.get(oid) ?? graph.position(oid);
  const layer = Layer.parse(encodeLayer(graph.size, added.map((c) => ({ ...c, parents: c.parents.map(positionOf) })))) as Layer;
  return new CommitGraph(graph.names, [...graph.layers, layer], graph.chain);
}

/** The commits the tips reach that the graph lacks, parents before children. */
async function collectMissing(objects: ObjectStore, graph: CommitGraph, tips: readonly Oid[]): Promise<Pending[]> {
  const found = new Map<Oid, Pending>();
  const order: Pending[] = [];
  // Iterative depth-first walk: a commit is placed once all its parents are placed.
  const stack: { oid: Oid; expanded: boolean }[] = tips.map((oid) => ({ oid, expanded: false }));
  const placed = new Set<Oid>();
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { oid: Oid; expanded: boolean };
    if (placed.has(top.oid) || graph.position(top.oid) >= 0) {
      stack.pop();
      continue;
    }
    let pending = found.get(top.oid);
    if (pending === undefined) {
      const info = await objects.commit(top.oid);
      if (info === null) throw new Error(`commit ${top.oid} is missing from ${objects.repo}`);
      pending = { oid: top.oid, tree: info.tree, parents: info.parents, time: info.time, generation: 0, filter: null };
      found.set(top.oid, pending);
    }
    if (!top.expanded) {
      top.expanded = true;
      for (const p of pending.parents) if (!placed.has(p) && graph.position(p) < 0) stack.push({ oid: p, expanded: false });
      continue;
    }
    stack.pop();
    placed.add(top.oid);
    order.push(pending);
  }
  return order;
}

/** Generation numbers and changed-path filters, in order (parents come first). */
async function describe(objects: ObjectStore, graph: CommitGraph, order: Pending[]): Promise<Pending[]> {
  const byOid = new Map(order.map((p) => [p.oid, p]));
  const generationOf = (oid: Oid): number => {
    const pos = graph.position(oid);
    return pos >= 0 ? graph.generation(pos) : ((byOid.get(oid) as Pending).generation);
  };
  const treeOf = (oid: Oid): Oid => {
    const pos = graph.position(oid);
    return pos >= 0 ? graph.tree(pos) : (byOid.get(oid) as Pending).tree;
  };
  for (const c of order) {
    c.generation = 1 + Math.max(0, ...c.parents.map(generationOf));
    const changed = await changedPaths(objects, c.parents.length === 0 ? null : treeOf(c.parents[0] as Oid), c.tree);
    c.filter = changed === null ? null : buildFilter(withFolders(changed));
  }
  return order;
}

/**
 * The paths whose entries differ between two trees (every file below a folder added or removed),
 * or null when there are more than MAX_PATHS of them. Walked without recursion; equal subtrees
 * are skipped by id.
 */
export async function changedPaths(objects: ObjectStore, before: Oid | null, after: Oid): Promise<string[] | null> {
  const out: string[] = [];
  const stack: { before: Oid | null; after: Oid | null; prefix: string }[] = [{ before, after, prefix: '' }];
  const entries = async (oid: Oid | null): Promise<Map<string, TreeEntry>> => {
    if (oid === null) return new Map();
    const tree = await objects.tree(oid);
    if (tree === null) throw new Error(`tree ${oid} is missing from ${objects.repo}`);
    return new Map(tree.map((e) => [e.path, e]));
  };
  while (stack.length > 0) {
    const { before: b, after: a, prefix } = stack.pop() as { before: Oid | null; after: Oid | null; prefix: string };
    if (b === a) continue;
    const [old, next] = await Promise.all([entries(b), entries(a)]);
    for (const name of new Set([...old.keys(), ...next.keys()])) {
      const o = old.get(name);
      const n = next.get(name);
      if (o !== undefined && n !== undefined && o.oid === n.oid && o.mode === n.mode) continue;
      const path = prefix === '' ? name : `${prefix}/${name}`;
      if (o?.type !== 'tree' || n?.type !== 'tree') out.push(path);
      if (o?.type === 'tree' || n?.type === 'tree') stack.push({ before: o?.type === 'tree' ? o.oid : null, after: n?.type === 'tree' ? n.oid : null, prefix: path });
      if (out.length > MAX_PATHS) return null;
    }
  }
  return out;
}

/**
 * The new stack: the commits as a new top layer, merged with the layers above the first one
 * that is larger than everything above it (git's rule, which keeps the stack logarithmic) when
 * the stack would grow past MAX_LAYERS.
 */
async function stacked(objects: ObjectStore, graph: CommitGraph, added: Pending[]): Promise<{ names: string[]; layers: Layer[] }> {
  let keep = graph.layers.length;
  let above = added.length;
  while (keep > 0 && (keep >= MAX_LAYERS || (graph.layers[keep - 1] as Layer).count <= 2 * above)) {
    keep--;
    above += (graph.layers[keep] as Layer).count;
  }
  const merged: Pending[] = [];
  for (let l = keep; l < graph.layers.length; l++) {
    const layer = graph.layers[l] as Layer;
    for (let i = 0; i < layer.count; i++) {
      merged.push({
        oid: layer.oid(i),
        tree: layer.tree(i),
        parents: layer.parents(i).map((p) => graph.oid(p)),
        time: layer.time(i),
        generation: layer.generation(i),
        filter: layer.filter(i),
      });
    }
  }
  merged.push(...added);
  const below = graph.layers.slice(0, keep);
  const base = below.length === 0 ? 0 : (below[below.length - 1] as Layer).base + (below[below.length - 1] as Layer).count;
  const sorted = [...merged].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const newPos = new Map(sorted.map((c, i) => [c.oid, base + i]));
  const lower = new CommitGraph(graph.names.slice(0, keep), below, null);
  const positionOf = (oid: Oid): number => newPos.get(oid) ?? lower.position(oid);
  const commits: GraphCommit[] = sorted.map((c) => ({ ...c, parents: c.parents.map(positionOf) }));
  const bytes = encodeLayer(base, commits);
  const name = createHash('sha1').update(bytes).digest('hex');
  await objects.store.fs.promises.mkdir(GRAPH_DIR, { recursive: true });
  await objects.store.fs.promises.writeFile(layerPath(name), bytes);
  const layer = Layer.parse(bytes) as Layer;
  objects.cache.set('graph', objects.repo, name, layer, layer.byteLength + cost.small);
  return { names: [...graph.names.slice(0, keep), name], layers: [...below, layer] };
}

/**
 * Layers no chain names any more (merged away) are removed, best effort, a little later: a reader
 * that read the old chain a moment ago may still be loading them.
 */
function removeLater(objects: ObjectStore, before: readonly string[], after: readonly string[]): void {
  const kept = new Set(after);
  const gone = before.filter((name) => !kept.has(name));
  if (gone.length === 0) return;
  setTimeout(() => {
    for (const name of gone) objects.store.fs.promises.unlink(layerPath(name)).catch(() => undefined);
  }, 10_000).unref();
}

/** Commits as ancestry reads them: from the graph (no object is read), else from the store. */
export function commitSource(objects: ObjectStore, graph: CommitGraph): CommitSource {
  return {
    repo: objects.repo,
    cache: objects.cache,
    commit: (oid) => {
      const pos = graph.position(oid);
      if (pos < 0) return objects.commit(oid);
      return Promise.resolve({ tree: graph.tree(pos), parents: graph.parents(pos).map((p) => graph.oid(p)), time: graph.time(pos) });
    },
    generation: (oid) => {
      const pos = graph.position(oid);
      return pos < 0 ? undefined : graph.generation(pos);
    },
  };
}

/** Ancestry questions about these tips, answered from the graph (extended to cover them first). */
export async function ancestryOf(objects: ObjectStore, tips: readonly Oid[]): Promise<CommitSource> {
  return commitSource(objects, await graphCovering(objects, tips));
}
