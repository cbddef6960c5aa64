/**
 * etcd members for the launcher and the tests: Debian's etcd 3.4, one process per member on
 * loopback, each with its own data folder. A member keeps its ports for life: the peer address
 * is part of the membership etcd stores, so a member started again must listen where it did.
 */
export interface EtcdMember {
  name: string;
  /** Its machine's address (127.0.0.1: the launcher's one box). */
  host?: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
}

export interface EtcdTimings {
  /** Raft heartbeat (ms, etcd default 100). */
  heartbeatMs?: number;
  /** Raft election timeout (ms, etcd default 1000). The shortest lease TTL etcd grants is 1.5 times this, rounded up to seconds. */
  electionMs?: number;
}

export function clientEndpoint(member: EtcdMember): string {
  return `${member.host ?? '127.0.0.1'}:${member.clientPort}`;
}

/**
 * The settings of one member of `members` (all started together as a new cluster, or restarted on
 * their data), as etcd's flags without the dashes: the launcher passes them on the command line
 * (etcdCommand), a service unit as ETCD_* variables in an environment file (etcdEnvironment).
 */
export function etcdSettings(member: EtcdMember, members: EtcdMember[], timings: EtcdTimings = {}): [string, string][] {
  const peer = (m: EtcdMember) => `http://${m.host ?? '127.0.0.1'}:${m.peerPort}`;
  const client = `http://${member.host ?? '127.0.0.1'}:${member.clientPort}`;
  return [
    ['name', member.name],
    ['data-dir', member.dataDir],
    ['listen-client-urls', client],
    ['advertise-client-urls', client],
    ['listen-peer-urls', peer(member)],
    ['initial-advertise-peer-urls', peer(member)],
    ['initial-cluster', members.map((m) => `${m.name}=${peer(m)}`).join(',')],
    ['initial-cluster-state', 'new'],
    ['initial-cluster-token', `content-repo-${members.map((m) => m.peerPort).join('-')}`],
    ['heartbeat-interval', String(timings.heartbeatMs ?? 100)],
    ['election-timeout', String(timings.electionMs ?? 1000)],
    // Old revisions are of no use to us: the map and registry are read at their newest.
    ['auto-compaction-mode', 'revision'],
    ['auto-compaction-retention', '1000'],
    ['logger', 'zap'],
    ['log-outputs', 'stderr'],
    ['log-level', 'warn'],
  ];
}

/** The command line of one member (see etcdSettings). */
export function etcdCommand(binary: string, member: EtcdMember, members: EtcdMember[], timings: EtcdTimings = {}): string[] {
  return [binary, ...etcdSettings(member, members, timings).flatMap(([flag, value]) => [`--${flag}`, value])];
}

/** The same settings as etcd reads them from its environment (ETCD_NAME=...), one per line. */
export function etcdEnvironment(member: EtcdMember, members: EtcdMember[], timings: EtcdTimings = {}): string {
  return etcdSettings(member, members, timings)
    .map(([flag, value]) => `ETCD_${flag.toUpperCase().replace(/-/g, '_')}=${value}\n`)
    .join('');
}

/** Resolves once the member answers /health with a leader, or rejects after `timeoutMs`. */
export async function waitForEtcd(member: EtcdMember, timeoutMs: number, isDead: () => boolean = () => false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (isDead()) throw new Error(`etcd member ${member.name} exited while starting`);
    try {
      const res = await fetch(`http://${clientEndpoint(member)}/health`, { signal: AbortSignal.timeout(1_000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
      last = JSON.stringify(body);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`etcd member ${member.name} not healthy after ${timeoutMs} ms (${last})`);
}
