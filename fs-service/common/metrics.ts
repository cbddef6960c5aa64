import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Which side of the service measured an operation. */
export type MetricRole = 'embedded' | 'client' | 'shard' | 'replica';

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * fs-service metrics in a prom-client Registry the front end can merge into its /metrics (pass
 * your own registry, or read `.registry`). Several storages may share one registry: metrics are
 * created once and reused by name.
 */
export class FsMetrics {
  readonly registry: Registry;
  readonly operations: Counter<'op' | 'role' | 'outcome'>;
  readonly latency: Histogram<'op' | 'role'>;
  readonly bytes: Counter<'direction' | 'role'>;
  readonly cacheLookups: Counter<'result'>;
  readonly roundTrips: Counter<'op'>;
  readonly replicationLagging: Gauge<'shard'>;
  readonly leaseRevocations: Counter<'outcome'>;
  private hits = 0;
  private misses = 0;

  constructor(options: { registry?: Registry } = {}) {
    this.registry = options.registry ?? new Registry();
    const registers = [this.registry];
    this.operations = reuse(this.registry, 'fs_service_operations_total', () =>
      new Counter({ name: 'fs_service_operations_total', help: 'fs-service operations by outcome', labelNames: ['op', 'role', 'outcome'], registers }),
    );
    this.latency = reuse(this.registry, 'fs_service_operation_duration_seconds', () =>
      new Histogram({ name: 'fs_service_operation_duration_seconds', help: 'fs-service operation latency', labelNames: ['op', 'role'], buckets: LATENCY_BUCKETS, registers }),
    );
    this.bytes = reuse(this.registry, 'fs_service_bytes_total', () =>
      new Counter({ name: 'fs_service_bytes_total', help: 'file bytes moved (read = out of storage, written = into storage)', labelNames: ['direction', 'role'], registers }),
    );
    this.cacheLookups = reuse(this.registry, 'fs_service_cache_lookups_total', () =>
      new Counter({ name: 'fs_service_cache_lookups_total', help: 'client cache lookups', labelNames: ['result'], registers }),
    );
    this.roundTrips = reuse(this.registry, 'fs_service_round_trips_total', () =>
      new Counter({ name: 'fs_service_round_trips_total', help: 'requests the client sent to shards', labelNames: ['op'], registers }),
    );
    this.replicationLagging = reuse(this.registry, 'fs_service_replicas_out_of_sync', () =>
      new Gauge({ name: 'fs_service_replicas_out_of_sync', help: 'vbuckets whose copy on a shard is not in sync (as seen by the primary)', labelNames: ['shard'], registers }),
    );
    this.leaseRevocations = reuse(this.registry, 'fs_service_lease_revocations_total', () =>
      new Counter({
        name: 'fs_service_lease_revocations_total',
        help: 'read leases a primary revoked before acknowledging a write, by how each ended (acknowledged, or expired: the holder never answered)',
        labelNames: ['outcome'],
        registers,
      }),
    );
    const self = this;
    reuse(this.registry, 'fs_service_cache_hit_ratio', () =>
      new Gauge({
        name: 'fs_service_cache_hit_ratio',
        help: 'client cache hits / lookups since start',
        registers,
        collect() {
          const total = self.hits + self.misses;
          this.set(total === 0 ? 0 : self.hits / total);
        },
      }),
    );
  }

  /** Counts and times one operation. */
  async time<T>(op: string, role: MetricRole, fn: () => Promise<T>): Promise<T> {
    const end = this.latency.startTimer({ op, role });
    try {
      const result = await fn();
      this.operations.inc({ op, role, outcome: 'ok' });
      return result;
    } catch (err) {
      this.operations.inc({ op, role, outcome: outcomeOf(err) });
      throw err;
    } finally {
      end();
    }
  }

  cache(hit: boolean): void {
    if (hit) this.hits++;
    else this.misses++;
    this.cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
  }

  get cacheHitRatio(): number {
    const total = this.hits + this.misses;
    return total === 0 ? 0 : this.hits / total;
  }

  moved(direction: 'read' | 'written', role: MetricRole, bytes: number): void {
    if (bytes > 0) this.bytes.inc({ direction, role }, bytes);
  }
}

function outcomeOf(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'error';
}

function reuse<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
