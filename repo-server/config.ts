import { parseArgs, type ParseArgsConfig } from 'node:util';
import { secretFromEnvironment } from '../fs-service/index.js';
import { DEFAULT_CACHE_BYTES, DEFAULT_CACHE_IDLE_MS } from './git/index.js';
import { defaultRateLimits, type RateLimits } from './http/rate-limit.js';
import { type AllowList, parseAllowList } from './webhooks/index.js';

/** Everything a front end needs to start, from flags first, then environment, then defaults. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Largest REST request body; nginx's client_max_body_size for the API matches it. */
  maxBodyBytes: number;
  /** Largest git push (its whole body, streamed, never held); nginx's limit for git routes follows it. MAX_PUSH_BYTES. */
  maxPushBytes: number;
  /** Most objects one git push may carry (pack header count); MAX_PUSH_OBJECTS. */
  maxPushObjects: number;
  /** Largest object (a file's bytes, inflated) a push or an API write may store; MAX_OBJECT_BYTES. */
  maxObjectBytes: number;
  /** Most bytes the objects of one push may inflate to together; MAX_PUSH_INFLATED_BYTES. */
  maxPushInflatedBytes: number;
  /** Memory for git data kept between requests (packs, objects, parsed trees and commits); GIT_CACHE_BYTES. */
  gitCacheBytes: number;
  /** How long git data nobody used is kept, and the quiet time after which memory is given back; GIT_CACHE_IDLE_SECONDS. */
  gitCacheIdleMs: number;
  maxUriBytes: number;
  /** Adds X-Decision-Trace to every response (tests, debugging). */
  trace: boolean;
  logLevel: string;
  /** Token-based access control; only an explicit AUTH=off turns it off. */
  auth: boolean;
  /** Cluster mode: etcd endpoints (host:port), the cluster's name there and the shared secret; embedded when empty. */
  etcd: string[];
  cluster: string | undefined;
  clusterSecret: string | undefined;
  /** Per-token / per-address requests a minute; RATE_LIMIT=off disables (load tests only). */
  rateLimits: RateLimits | undefined;
  /** Webhook delivery; absent: the defaults (public targets only). */
  webhooks?: WebhookConfig;
  /** The credential /metrics asks for (Bearer); absent: /metrics answers only with access control off. */
  metricsToken?: string;
  /** File this process writes its pid to (removed at exit); PID_FILE. */
  pidFile?: string | undefined;
}

export interface WebhookConfig {
  /** Internal addresses (IPs, CIDR ranges) deliveries may still go to; WEBHOOK_ALLOW_HOSTS. */
  allow: AllowList;
  timeoutMs: number;
  retryMs: number;
  maxAttempts: number;
  intervalMs: number;
}

export const defaultWebhookConfig: WebhookConfig = { allow: [], timeoutMs: 10_000, retryMs: 10_000, maxAttempts: 8, intervalMs: 1_000 };

/** A command line or environment the front end cannot start from; `npm start` prints it with the usage. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const DEFAULT_PORT = 8080;
const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;
/** GitHub's push limit. */
const DEFAULT_MAX_PUSH_BYTES = 2 * 1024 * 1024 * 1024;
const DEFAULT_MAX_PUSH_OBJECTS = 2_000_000;
/** GitHub's per-file limit: what an authored book needs, far below what would strain a front end. */
const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;
const DEFAULT_MAX_PUSH_INFLATED_BYTES = 8 * 1024 * 1024 * 1024;

/** Every flag `npm start` accepts; FRONT_END_USAGE names each one. */
export const FRONT_END_FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  data: { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'max-push-bytes': { type: 'string' },
  'max-object-bytes': { type: 'string' },
  trace: { type: 'boolean' },
  'log-level': { type: 'string' },
  'no-auth': { type: 'boolean' },
  etcd: { type: 'string' },
  cluster: { type: 'string' },
  'pid-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const FRONT_END_USAGE = `usage: npm start -- [options]     (a flag wins over its environment variable)
  --host HOST             HOST                    address to listen on (127.0.0.1)
  --port N                PORT                    port to listen on (${DEFAULT_PORT})
  --data DIR              DATA_DIR                local folder: embedded storage, admin-token (./data)
  --etcd H:P,...          FS_ETCD                 etcd endpoints of the cluster; cluster mode when set (none: embedded)
  --cluster NAME          FS_CLUSTER              cluster name: its key prefix in etcd (default)
                          FS_CLUSTER_SECRET       cluster secret, environment only (required with FS_ETCD)
                          FS_CLUSTER_SECRET_FILE  or a file holding it (a systemd credential)
  --max-body-bytes N      MAX_BODY_BYTES          largest REST request body (${DEFAULT_MAX_BODY_BYTES})
  --max-push-bytes N      MAX_PUSH_BYTES          largest git push, streamed to storage (${DEFAULT_MAX_PUSH_BYTES})
                          MAX_PUSH_OBJECTS        most objects one git push may carry (${DEFAULT_MAX_PUSH_OBJECTS})
  --max-object-bytes N    MAX_OBJECT_BYTES        largest file (object) a push or API write may store (${DEFAULT_MAX_OBJECT_BYTES})
                          MAX_PUSH_INFLATED_BYTES most bytes one push may inflate to (${DEFAULT_MAX_PUSH_INFLATED_BYTES})
                          GIT_CACHE_BYTES         memory for git data kept between requests (${DEFAULT_CACHE_BYTES})
                          GIT_CACHE_IDLE_SECONDS  git data unused this long is dropped, and memory given back after as long a quiet spell (${DEFAULT_CACHE_IDLE_MS / 1000})
  --log-level LEVEL       LOG_LEVEL               pino level (info)
  --pid-file FILE         PID_FILE                file to write this process's pid to, removed at exit (none)
  --trace                 DECISION_TRACE=1        X-Decision-Trace on every answer (off)
  --no-auth               AUTH=off                access control off, load tests only (on)
                          RATE_LIMIT_PER_ADDRESS  requests a minute per client address (${defaultRateLimits.perAddress})
                          RATE_LIMIT_PER_TOKEN    requests a minute per token (${defaultRateLimits.perToken})
                          RATE_LIMIT_FRONTENDS    front ends sharing those limits, each enforces limit / N (1)
                          RATE_LIMIT=off          no rate limits, load tests only (on)
                          METRICS_TOKEN           the Bearer credential /metrics asks for (none: /metrics is closed)
                          WEBHOOK_ALLOW_HOSTS     internal IPs/CIDRs webhooks may still target (none)
                          WEBHOOK_TIMEOUT_MS      one delivery attempt's time limit (${defaultWebhookConfig.timeoutMs})
                          WEBHOOK_RETRY_MS        delay before the first retry, doubling after (${defaultWebhookConfig.retryMs})
                          WEBHOOK_MAX_ATTEMPTS    attempts before a delivery fails (${defaultWebhookConfig.maxAttempts})
                          WEBHOOK_INTERVAL_MS     how often each front end looks for deliveries to send (${defaultWebhookConfig.intervalMs})
  --help, -h                                      print this text and exit`;

/** True when the command line asks for the usage; throws ConfigError on an unknown option. */
export function helpRequested(argv: string[] = process.argv.slice(2)): boolean {
  return readFlags(argv).help === true;
}

function readFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: FRONT_END_FLAGS, strict: true }).values;
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
}

function num(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The front end's configuration from flags first, then environment, then defaults. Pure: an unknown
 * option or a malformed value throws ConfigError (`--help` is accepted and ignored here).
 */
export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const values = readFlags(argv);
  return {
    host: values.host ?? env.HOST ?? '127.0.0.1',
    port: num(values.port ?? env.PORT, DEFAULT_PORT, 'PORT'),
    dataDir: values.data ?? env.DATA_DIR ?? './data',
    maxBodyBytes: num(values['max-body-bytes'] ?? env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 'MAX_BODY_BYTES'),
    maxPushBytes: num(values['max-push-bytes'] ?? env.MAX_PUSH_BYTES, DEFAULT_MAX_PUSH_BYTES, 'MAX_PUSH_BYTES'),
    maxPushObjects: num(env.MAX_PUSH_OBJECTS, DEFAULT_MAX_PUSH_OBJECTS, 'MAX_PUSH_OBJECTS'),
    maxObjectBytes: num(values['max-object-bytes'] ?? env.MAX_OBJECT_BYTES, DEFAULT_MAX_OBJECT_BYTES, 'MAX_OBJECT_BYTES'),
    maxPushInflatedBytes: num(env.MAX_PUSH_INFLATED_BYTES, DEFAULT_MAX_PUSH_INFLATED_BYTES, 'MAX_PUSH_INFLATED_BYTES'),
    gitCacheBytes: num(env.GIT_CACHE_BYTES, DEFAULT_CACHE_BYTES, 'GIT_CACHE_BYTES'),
    gitCacheIdleMs: 1000 * num(env.GIT_CACHE_IDLE_SECONDS, DEFAULT_CACHE_IDLE_MS / 1000, 'GIT_CACHE_IDLE_SECONDS'),
    maxUriBytes: 8 * 1024,
    trace: values.trace ?? env.DECISION_TRACE === '1',
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
    auth: !(values['no-auth'] ?? env.AUTH === 'off'),
    etcd: (values.etcd ?? env.FS_ETCD ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    cluster: values.cluster ?? env.FS_CLUSTER,
    clusterSecret: secretFromEnvironment(env),
    pidFile: values['pid-file'] ?? env.PID_FILE,
    webhooks: {
      allow: allowList(env.WEBHOOK_ALLOW_HOSTS),
      timeoutMs: num(env.WEBHOOK_TIMEOUT_MS, defaultWebhookConfig.timeoutMs, 'WEBHOOK_TIMEOUT_MS'),
      retryMs: num(env.WEBHOOK_RETRY_MS, defaultWebhookConfig.retryMs, 'WEBHOOK_RETRY_MS'),
      maxAttempts: Math.max(1, num(env.WEBHOOK_MAX_ATTEMPTS, defaultWebhookConfig.maxAttempts, 'WEBHOOK_MAX_ATTEMPTS')),
      intervalMs: Math.max(50, num(env.WEBHOOK_INTERVAL_MS, defaultWebhookConfig.intervalMs, 'WEBHOOK_INTERVAL_MS')),
    },
    ...(env.METRICS_TOKEN === undefined || env.METRICS_TOKEN === '' ? {} : { metricsToken: env.METRICS_TOKEN }),
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

function allowList(text: string | undefined): AllowList {
  try {
    return parseAllowList(text);
  } catch {
    throw new ConfigError(`WEBHOOK_ALLOW_HOSTS must be IP addresses or CIDR ranges, comma-separated, got ${JSON.stringify(text)}`);
  }
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
