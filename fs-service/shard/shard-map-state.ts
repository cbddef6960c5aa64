import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileDurable } from '../engine/durable-write.js';
import type { Logger } from '../common/logging.js';
import { Refusal } from '../wire/wire-errors.js';
import { isClusterMap, type ClusterMap, type ShardId, type VbucketEntry } from '../control/vbucket-map.js';

export type Role = 'primary' | 'replica' | 'learner' | 'none';

/** Resolves shard ids to addresses (the etcd registry, control/shard-registry.ts). */
export interface ShardAddresses {
  addressOf(id: ShardId): string | null;
  idOf(address: string): ShardId | undefined;
}

/**
 * A shard's view of the cluster map. Only a map with a higher epoch replaces the current one,
 * and it is written durably before it takes effect, so a restarted shard never acts on an
 * older map than it already acknowledged.
 */
export class ShardMapState {
  private current: ClusterMap | null = null;
  private readonly listeners: ((next: ClusterMap, previous: ClusterMap | null) => void)[] = [];
  private installing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly self: ShardId,
    /** This process's incarnation; a new one after its etcd lease was lost. */
    public bootId: string,
    private readonly addresses: ShardAddresses,
    private readonly file: string,
    private readonly tmpDir: string,
    private readonly floor: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    try {
      const parsed = JSON.parse(await fsp.readFile(this.file, 'utf8')) as unknown;
      if (isClusterMap(parsed)) this.current = parsed;
    } catch {
      // No map yet: the supervisor will publish one.
    }
  }

  get map(): ClusterMap | null {
    return this.current;
  }

  get epoch(): number {
    return this.current?.epoch ?? 0;
  }

  onChange(listener: (next: ClusterMap, previous: ClusterMap | null) => void): void {
    this.listeners.push(listener);
  }

  /** Installs `map` if it is newer; serialized so two concurrent installs cannot interleave. */
  install(map: unknown): Promise<boolean> {
    const run = this.installing.then(async () => {
      if (!isClusterMap(map)) throw new Refusal('no-map', 'malformed cluster map');
      if (map.epoch <= this.epoch) return false;
      await fsp.mkdir(dirname(this.file), { recursive: true });
      await writeFileDurable(this.tmpDir, this.file, Buffer.from(JSON.stringify(map)), this.floor);
      const previous = this.current;
      this.current = map;
      this.logger.info({ epoch: map.epoch }, 'installed cluster map');
      for (const listener of this.listeners) listener(map, previous);
      return true;
    });
    this.installing = run.catch(() => undefined);
    return run;
  }

  /** The map, or a refusal that tells the client how to fix its routing. */
  requireEpoch(epoch: unknown): ClusterMap {
    const map = this.current;
    if (map === null) throw new Refusal('no-map', `shard ${this.self} has no cluster map yet`);
    if (typeof epoch !== 'number' || epoch < map.epoch) throw new Refusal('epoch-old', `request stamped with epoch ${String(epoch)}, current is ${map.epoch}`, map);
    if (epoch > map.epoch) throw new Refusal('epoch-new', `shard ${this.self} has epoch ${map.epoch}, request has ${epoch}`);
    return map;
  }

  entry(vb: number): VbucketEntry | null {
    return this.current?.vbuckets[vb] ?? null;
  }

  role(vb: number): Role {
    const entry = this.entry(vb);
    if (entry === null) return 'none';
    if (entry.copies[0] === this.self) return 'primary';
    if (entry.copies.includes(this.self)) return 'replica';
    if (entry.learners.includes(this.self)) return 'learner';
    return 'none';
  }

  /** The map names this process (boot id) as the incarnation it vouches for. */
  get trusted(): boolean {
    return this.current?.shards[this.self]?.bootId === this.bootId;
  }

  urlOf(shard: ShardId): string | null {
    return this.addresses.addressOf(shard);
  }

  idOf(address: string): ShardId | undefined {
    return this.addresses.idOf(address);
  }
}
