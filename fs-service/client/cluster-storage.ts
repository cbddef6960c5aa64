import { LRUCache } from 'lru-cache';
import type { Registry } from 'prom-client';
import { ClusterClient, type ClusterClientOptions } from './cluster-client.js';
import { FsError, type Readiness, type RepoStore, type Storage } from '../contract.js';
import { ImmutableCache } from './immutable-cache.js';
import { LeaseCache } from './lease-cache.js';
import { FsMetrics } from '../common/metrics.js';
import { assertRepoName } from '../engine/path-safety.js';
import { RemoteRepoStore } from './remote-repo-store.js';
import { RepoCacheState } from './repo-cache-state.js';
import { VBUCKETS, type ClusterMap } from '../control/vbucket-map.js';

export interface ClusterStorageOptions extends ClusterClientOptions {
  /** Budget of the immutable-file cache (default 256 MiB). */
  cacheBytes?: number;
  metrics?: FsMetrics;
  registry?: Registry;
}

export interface RoundTrips {
  total: number;
  byOp: Record<string, number>;
}

/** Storage over a shard cluster: what repo-server uses in cluster mode. */
export class ClusterStorage implements Storage {
  readonly metrics: FsMetrics;
  private readonly client: ClusterClient;
  private readonly cache: ImmutableCache;
  private readonly leases = new LeaseCache();
  private readonly states = new LRUCache<string, RepoCacheState>({ max: 10_000 });

  constructor(options: ClusterStorageOptions) {
    this.metrics = options.metrics ?? new FsMetrics(options.registry === undefined ? {} : { registry: options.registry });
    this.client = new ClusterClient(options, this.metrics);
    this.cache = new ImmutableCache(options.cacheBytes ?? 256 * 1024 * 1024);
    this.client.onRevoke((repo, gen) => {
      this.leases.revoke(repo);
      this.states.peek(repo)?.observe(gen);
    });
    this.client.onLeasesLost(() => this.leases.loseAll());
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  repo(name: string): RepoStore {
    assertRepoName(name);
    let state = this.states.get(name);
    if (state === undefined) {
      state = new RepoCacheState();
      this.states.set(name, state);
    }
    return new RemoteRepoStore(name, this.client, this.cache, state, this.leases, this.metrics);
  }

  /** Asks the primary of every vbucket (a replica where the primary does not answer). */
  async listRepos(): Promise<string[]> {
    try {
      return await this.listReposOnce();
    } catch {
      // A shard with a different map epoch refused: refresh and ask again once.
      await this.client.refreshMap();
      return this.listReposOnce();
    }
  }

  private async listReposOnce(): Promise<string[]> {
    const map = this.client.map;
    const names = new Set<string>();
    let pending = new Set(Array.from({ length: VBUCKETS }, (_, vb) => vb));
    for (let copy = 0; copy < map.replicas + 1 && pending.size > 0; copy++) {
      const byShard = new Map<string, number[]>();
      for (const vb of pending) {
        const id = map.vbuckets[vb]!.copies[copy];
        const url = id === undefined ? null : this.client.addressOf(id);
        if (url === null) continue;
        byShard.set(url, [...(byShard.get(url) ?? []), vb]);
      }
      const served = new Set<number>();
      await Promise.all(
        [...byShard].map(async ([url, vbs]) => {
          try {
            const reply = await this.client.send(url, { op: 'listRepos', vbs, epoch: map.epoch });
            for (const name of reply.header.repos as string[]) names.add(name);
            for (const vb of reply.header.served as number[]) served.add(vb);
          } catch {
            // try the next copy of these vbuckets
          }
        }),
      );
      pending = new Set([...pending].filter((vb) => !served.has(vb)));
    }
    if (pending.size > 0) throw new FsError('EIO', `${pending.size} vbuckets have no reachable copy`);
    return [...names].sort();
  }

  /** A map, and every vbucket with a copy on a shard that answers a ping now (one ping per shard, 1 s at most). */
  async readiness(): Promise<Readiness> {
    const map = this.client.map;
    const shards: NonNullable<Readiness['shards']> = {};
    await Promise.all(
      Object.keys(map.shards).map(async (id) => {
        const url = this.client.addressOf(id);
        if (url === null) {
          shards[id] = 'unregistered';
          return;
        }
        shards[id] = await this.client.send(url, { op: 'ping' }, [], 1_000).then(
          () => 'reachable' as const,
          () => 'unreachable' as const,
        );
      }),
    );
    const unreachable = map.vbuckets.filter((e) => !e.copies.some((id) => shards[id] === 'reachable')).length;
    return { ready: unreachable === 0, detail: unreachable === 0 ? `map epoch ${map.epoch}; every vbucket has a reachable copy` : `${unreachable} vbuckets have no reachable copy`, shards };
  }

  async close(): Promise<void> {
    this.client.close();
  }

  /** Requests sent to shards since start (or the last reset), in total and per operation. */
  get roundTrips(): RoundTrips {
    return { total: this.client.roundTrips.total, byOp: { ...this.client.roundTrips.byOp } };
  }

  resetRoundTrips(): void {
    this.client.roundTrips.total = 0;
    this.client.roundTrips.byOp = {};
  }

  get cacheStats(): { bytes: number; entries: number; hitRatio: number } {
    return { bytes: this.cache.bytes, entries: this.cache.entries, hitRatio: this.metrics.cacheHitRatio };
  }

  get map(): ClusterMap {
    return this.client.map;
  }

  /** host:port a shard id is registered at now (null: not registered). */
  addressOf(id: string): string | null {
    return this.client.addressOf(id);
  }

  refreshMap(): Promise<void> {
    return this.client.refreshMap();
  }
}

/**
 * Connects to a shard cluster: `etcd` are host:port of its etcd members (`cluster` names its key
 * prefix), `secret` the cluster secret. Resolves once a cluster map has been loaded.
 */
export async function connectCluster(options: ClusterStorageOptions): Promise<ClusterStorage> {
  const storage = new ClusterStorage(options);
  try {
    await storage.connect();
  } catch (err) {
    await storage.close();
    throw err;
  }
  return storage;
}
