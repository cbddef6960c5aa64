import type { Watcher } from 'etcd3';
import { silentLogger, type Logger } from '../common/logging.js';
import type { Control } from './etcd-control.js';
import { isClusterMap, NEW_TERM, type ClusterMap } from './vbucket-map.js';

const KEY = 'map';

/** A map write based on a revision that is no longer the map's (or by a supervisor that is no longer the leader). */
export class StaleMapError extends Error {
  constructor(
    readonly expected: number,
    readonly current: number | null,
  ) {
    super(
      `map write refused: it was based on map revision ${expected}, but the map ${current === null ? 'is absent' : `is at revision ${current}`} or the writer no longer leads the supervisors`,
    );
    this.name = 'StaleMapError';
  }
}

/** The map as stored: no epoch (it is the key's revision), terms of NEW_TERM name the write itself. */
interface Stored extends Omit<ClusterMap, 'epoch'> {
  /** Added to every revision (a map adopted from an old supervisor continues its epochs). */
  base: number;
}

export interface StoredMap {
  map: ClusterMap;
  /** etcd mod revision of the map key: the compare-and-swap's expectation. */
  revision: number;
}

/** The epoch is the map key's mod revision (plus the adoption base); a NEW_TERM term becomes it. */
export function resolveMap(value: string, revision: number): ClusterMap | null {
  let stored: Partial<Stored>;
  try {
    stored = JSON.parse(value) as Partial<Stored>;
  } catch {
    return null;
  }
  const base = typeof stored.base === 'number' ? stored.base : 0;
  const epoch = base + revision;
  const { base: _ignored, ...rest } = stored;
  const map = { ...rest, epoch, vbuckets: (stored.vbuckets ?? []).map((e) => ({ ...e, term: e.term === NEW_TERM ? epoch : e.term })) } as unknown;
  return isClusterMap(map) ? map : null;
}

/**
 * The vbucket map in etcd (`map` under the cluster prefix). Written only by compare-and-swap on
 * its mod revision, guarded by the writer's election key, so two supervisors can never fork it;
 * its epoch and the terms it starts are etcd revisions, so they never go backwards.
 */
export class MapStore {
  private base = 0;

  constructor(
    private readonly control: Control,
    private readonly logger: Logger = silentLogger,
  ) {}

  async read(): Promise<StoredMap | null> {
    const res = await this.control.ns.get(KEY).exec();
    const kv = res.kvs[0];
    if (kv === undefined) return null;
    return this.decode(kv.value.toString(), Number(kv.mod_revision));
  }

  private decode(value: string, revision: number): StoredMap | null {
    const map = resolveMap(value, revision);
    if (map === null) {
      this.logger.error({ revision }, 'the map in etcd is malformed; ignored');
      return null;
    }
    this.base = map.epoch - revision;
    return { map, revision };
  }

  /** Calls `onMap` with every version written after `afterRevision`. */
  async watch(afterRevision: number, onMap: (stored: StoredMap) => void): Promise<Watcher> {
    const watcher = await this.control.ns
      .watch()
      .key(KEY)
      .startRevision(String(afterRevision + 1))
      .create();
    watcher.on('put', (kv) => {
      const stored = this.decode(kv.value.toString(), Number(kv.mod_revision));
      if (stored !== null) onMap(stored);
    });
    watcher.on('error', (err) => this.logger.warn({ err: err.message }, 'map watch failed; etcd3 retries it'));
    return watcher;
  }

  /**
   * Writes `next` if the map is still at `expected` (0: absent) and `guard` (the writer's
   * election key and its create revision) still exists. Resolves with the map as written.
   */
  async write(next: ClusterMap, expected: number, guard?: { key: string; createRevision: number }, base = this.base): Promise<StoredMap> {
    const { epoch: _epoch, ...rest } = next;
    const value = JSON.stringify({ ...rest, base } satisfies Stored);
    const ns = this.control.ns;
    let txn = ns.if(KEY, expected === 0 ? 'Create' : 'Mod', '==', expected);
    if (guard !== undefined) txn = txn.and(guard.key, 'Create', '==', guard.createRevision);
    const result = await txn.then(ns.put(KEY).value(value)).else(ns.get(KEY)).commit();
    if (!result.succeeded) {
      const current = result.responses[0]?.response_range?.kvs[0]?.mod_revision;
      throw new StaleMapError(expected, current === undefined ? null : Number(current));
    }
    this.base = base;
    const written = this.decode(value, Number(result.header.revision));
    if (written === null) throw new Error('wrote a map that does not read back');
    return written;
  }
}
