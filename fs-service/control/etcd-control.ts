import type { IBackoff } from 'cockatiel';
import type { Etcd3, Namespace } from 'etcd3';

/** Where a process finds the control state: etcd's client endpoints and the cluster's name. */
export interface ControlOptions {
  /** host:port (or http://host:port) of one or more etcd members. */
  etcd: string[];
  /** Names the cluster's key prefix, so several clusters can share one etcd (default "default"). */
  cluster?: string;
}

export const DEFAULT_CLUSTER = 'default';
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Every key of one cluster lives under this prefix (docs/fs-service.md, "Control state in etcd"). */
export function clusterPrefix(cluster = DEFAULT_CLUSTER): string {
  if (!NAME.test(cluster)) throw new Error(`cluster name must match ${NAME.source}, got ${JSON.stringify(cluster)}`);
  return `/content-repo/clusters/${cluster}/`;
}

function endpointUrl(endpoint: string): string {
  return /^https?:\/\//.test(endpoint) ? endpoint.replace(/\/+$/, '') : `http://${endpoint}`;
}

/**
 * One etcd client (etcd3: gRPC, leases, watches, transactions) scoped to the cluster's prefix.
 * etcd3 (and gRPC under it) is loaded only when a cluster process opens one: embedded mode never
 * loads it.
 */
export class Control {
  readonly ns: Namespace;

  private constructor(
    readonly client: Etcd3,
    readonly endpoints: string[],
    readonly prefix: string,
    private readonly leaseInvalid: new (...args: never[]) => Error,
  ) {
    this.ns = client.namespace(prefix);
  }

  static async open(options: ControlOptions): Promise<Control> {
    if (options.etcd.length === 0) throw new Error('at least one etcd endpoint is required (--etcd or FS_ETCD)');
    const prefix = clusterPrefix(options.cluster);
    const endpoints = options.etcd.map(endpointUrl);
    const [etcd3, cockatiel] = await Promise.all([import('etcd3'), import('cockatiel')]);
    // etcd3's defaults suit a service that can wait; a shard renews a 2 s lease and must reach a
    // member that came back within that: a broken member is skipped for 500 ms (not 5 s), and
    // connections and watches are retried within a second (gRPC would back off up to 2 minutes).
    const client = new etcd3.Etcd3({
      hosts: endpoints,
      dialTimeout: 2_000,
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.min_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1_000 },
      faultHandling: {
        host: () => cockatiel.circuitBreaker(cockatiel.handleWhen(etcd3.isRecoverableError), { halfOpenAfter: 500, breaker: new cockatiel.ConsecutiveBreaker(3) }),
        // etcd3's typings name the backoff the factory is (it calls next() first, as with its own default).
        watchBackoff: new cockatiel.ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }) as unknown as IBackoff<unknown>,
      },
    });
    return new Control(client, endpoints, prefix, etcd3.EtcdLeaseInvalidError);
  }

  /** etcd answered that the lease expired or was revoked. */
  isLeaseLost(err: unknown): boolean {
    return err instanceof this.leaseInvalid;
  }

  close(): void {
    this.client.close();
  }

  /** A key as the cluster names it (etcd3 answers some calls with the prefix, some without). */
  relative(key: Buffer | string): string {
    const text = key.toString();
    return text.startsWith(this.prefix) ? text.slice(this.prefix.length) : text;
  }

  /**
   * Renews a lease through every member at once over etcd's JSON gateway, beside the gRPC client:
   * when the member that client talks to dies, it takes a while to move to another, longer than a
   * short lease leaves. The new TTL from the first member that renews it; 'lost' when one answers
   * that the lease is gone; null when none could say.
   */
  async keepAliveAnywhere(leaseId: string, members = this.endpoints, timeoutMs = 800): Promise<number | 'lost' | null> {
    const answers = members.map(async (url): Promise<number | 'lost'> => {
      const res = await fetch(`${url}/v3/lease/keepalive`, { method: 'POST', body: JSON.stringify({ ID: leaseId }), signal: AbortSignal.timeout(timeoutMs) });
      // The gateway streams one JSON object per renewal; a single request gets one.
      const text = await res.text();
      const body = JSON.parse(text.split('\n').find((line) => line.trim() !== '') ?? '{}') as { result?: { TTL?: string } };
      if (!res.ok || body.result === undefined) throw new Error(`no renewal from ${url}: ${res.status}`);
      // A lease that expired is answered without a TTL (JSON leaves out the zero).
      const ttl = Number(body.result.TTL ?? 0);
      return ttl > 0 ? ttl : 'lost';
    });
    return Promise.any(answers).catch(() => null);
  }

  /**
   * True when etcd certainly has no quorum now: a majority of its members either refuse
   * connections (nothing listens) or answer without a live leader (none, or one that is among the
   * members refusing connections: a member notices its leader died only after its election
   * timeout). Without a leader no lease can expire, and a leader elected later first extends every
   * lease by its whole TTL, so a shard that proves this may keep acting until its check time plus
   * its TTL. A member that does not answer at all (a partition, not a stopped process) proves
   * nothing, and might be the leader. A second to answer: a loaded machine's member that answers
   * late would otherwise count as silent, and the shard would stop acting with etcd down.
   */
  async quorumLost(members = this.endpoints, timeoutMs = 1_000): Promise<boolean> {
    type Verdict = { kind: 'answered'; id: string; leader: string } | { kind: 'down' } | { kind: 'silent' };
    const verdicts = await Promise.all(
      members.map(async (url): Promise<Verdict> => {
        try {
          const res = await fetch(`${url}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(timeoutMs) });
          const body = (await res.json()) as { leader?: string; header?: { member_id?: string } };
          return { kind: 'answered', id: body.header?.member_id ?? '?', leader: body.leader ?? '0' };
        } catch (err) {
          return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED' ? { kind: 'down' } : { kind: 'silent' };
        }
      }),
    );
    const alive = new Set(verdicts.flatMap((v) => (v.kind === 'answered' ? [v.id] : [])));
    const someSilent = verdicts.some((v) => v.kind === 'silent');
    const out = verdicts.filter((v) => v.kind === 'down' || (v.kind === 'answered' && (v.leader === '0' || (!alive.has(v.leader) && !someSilent))));
    return out.length > members.length / 2;
  }
}
