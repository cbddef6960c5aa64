import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per front end (prom-client: the maintained Node client). */
export class Metrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly refUpdates: Counter<'via'>;
  readonly websockets: Gauge;
  readonly gitPackBytes: Counter<'direction'>;
  readonly gitPackObjects: Counter<'direction'>;
  readonly webhookAttempts: Counter<'outcome'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [this.registry],
    });
    this.refUpdates = new Counter({ name: 'ref_updates_total', help: 'Refs moved', labelNames: ['via'], registers: [this.registry] });
    this.websockets = new Gauge({ name: 'websockets_active', help: 'Open /events WebSockets', registers: [this.registry] });
    this.gitPackBytes = new Counter({
      name: 'git_pack_bytes_total',
      help: 'git pack bytes: in = pushed to receive-pack (refused packs too), out = written by upload-pack; side-band framing excluded',
      labelNames: ['direction'],
      registers: [this.registry],
    });
    this.gitPackObjects = new Counter({
      name: 'git_pack_objects_total',
      help: 'git objects: in = in pushed packs that passed verification, out = in packs sent completely by upload-pack',
      labelNames: ['direction'],
      registers: [this.registry],
    });
    this.webhookAttempts = new Counter({
      name: 'webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up)',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    for (const outcome of ['delivered', 'retry', 'failed']) this.webhookAttempts.inc({ outcome }, 0);
    // Both directions exist (at 0) from the start, so rate() works before the first push.
    for (const direction of ['in', 'out']) {
      this.gitPackBytes.inc({ direction }, 0);
      this.gitPackObjects.inc({ direction }, 0);
    }
  }

  /**
   * The git cache's holdings by kind (`git_cache_bytes{kind}`, `git_cache_entries{kind}`), read
   * when scraped: how an operator sizes GIT_CACHE_BYTES (docs/operations.md, "Sizing memory").
   */
  watchGitCache(read: () => Record<string, { bytes: number; entries: number }>): void {
    const registers = [this.registry];
    new Gauge({ name: 'git_cache_bytes', help: 'Bytes the git cache holds, by kind (all kinds share GIT_CACHE_BYTES)', labelNames: ['kind'], registers,
      collect() {
        for (const [kind, c] of Object.entries(read())) this.set({ kind }, c.bytes);
      } });
    new Gauge({ name: 'git_cache_entries', help: 'Entries the git cache holds, by kind', labelNames: ['kind'], registers,
      collect() {
        for (const [kind, c] of Object.entries(read())) this.set({ kind }, c.entries);
      } });
  }

  /** What the git smart HTTP router reports its pack traffic to (GitHttpDeps.observer). */
  gitObserver(): { packBytes(direction: 'in' | 'out', bytes: number): void; packObjects(direction: 'in' | 'out', count: number): void } {
    return {
      packBytes: (direction, bytes) => this.gitPackBytes.inc({ direction }, bytes),
      packObjects: (direction, count) => this.gitPackObjects.inc({ direction }, count),
    };
  }

  /** Times every request under its route pattern (never the raw path): `routeOf` names it once answered. */
  timer(routeOf: (req: IncomingMessage) => string | undefined): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
    return (req, res, next) => {
      const end = this.requestDuration.startTimer();
      res.on('finish', () => end({ method: req.method, route: routeOf(req) ?? 'unmatched', status: String(res.statusCode) }));
      next();
    };
  }
}
