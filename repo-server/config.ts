import { parseArgs } from 'node:util';
import { defaultRateLimits, type RateLimits } from './http/rate-limit.js';

/** Everything a front end needs to start, from flags first, then environment, then defaults. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Largest request body (REST writes and git pushes); nginx's client_max_body_size matches it. */
  maxBodyBytes: number;
  /** Most objects one git push may carry (pack header count); MAX_PUSH_OBJECTS. */
  maxPushObjects: number;
  maxUriBytes: number;
  /** Adds X-Decision-Trace to every response (tests, debugging). */
  trace: boolean;
  logLevel: string;
  /** Token-based access control; only an explicit AUTH=off turns it off. */
  auth: boolean;
  /** Cluster mode: shard addresses (host:port) and the shared secret; embedded when empty. */
  shards: string[];
  clusterSecret: string | undefined;
  /** Per-token / per-address requests a minute; RATE_LIMIT=off disables (load tests only). */
  rateLimits: RateLimits | undefined;
}

function num(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      data: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      trace: { type: 'boolean' },
      'log-level': { type: 'string' },
      'no-auth': { type: 'boolean' },
      shards: { type: 'string' },
    },
    strict: true,
  });
  return {
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port: num(values.port ?? env.PORT, 8080, 'PORT'),
    dataDir: values.data ?? env.DATA_DIR ?? './data',
    maxBodyBytes: num(values['max-body-bytes'] ?? env.MAX_BODY_BYTES, 50 * 1024 * 1024, 'MAX_BODY_BYTES'),
    maxPushObjects: num(env.MAX_PUSH_OBJECTS, 2_000_000, 'MAX_PUSH_OBJECTS'),
    maxUriBytes: 8 * 1024,
    trace: values.trace ?? env.DECISION_TRACE === '1',
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
    auth: !(values['no-auth'] ?? env.AUTH === 'off'),
    shards: (values.shards ?? env.FS_SHARDS ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    clusterSecret: env.FS_CLUSTER_SECRET,
    rateLimits:
      env.RATE_LIMIT === 'off'
        ? undefined
        : sharedBy(
            {
              ...defaultRateLimits,
              perToken: num(env.RATE_LIMIT_PER_TOKEN, defaultRateLimits.perToken, 'RATE_LIMIT_PER_TOKEN'),
              perAddress: num(env.RATE_LIMIT_PER_ADDRESS, defaultRateLimits.perAddress, 'RATE_LIMIT_PER_ADDRESS'),
            },
            num(env.RATE_LIMIT_FRONTENDS, 1, 'RATE_LIMIT_FRONTENDS'),
          ),
  };
}

/**
 * Counters live in each front end; the balancer spreads a client's requests evenly over the
 * `frontends` that share the limits, so each enforces its share and the cluster as a whole
 * enforces about the configured limit (stricter, never looser, while one is down).
 */
function sharedBy(limits: RateLimits, frontends: number): RateLimits {
  const share = (limit: number): number => Math.max(1, Math.ceil(limit / Math.max(1, frontends)));
  return { ...limits, perToken: share(limits.perToken), perAddress: share(limits.perAddress) };
}
