import { timingSafeEqual } from 'node:crypto';
import type { Readiness, Storage } from '../../fs-service/index.js';
import { type CharsetsProvided, type ContentTypesProvided, type Halt, halt, type ResourceInit } from '../../webmachine/index.js';
import { JsonResource, jsonBody } from '../http/json-resource.js';
import type { Metrics } from '../observability/metrics.js';

/** GET /healthz: the process answers. */
export class LivenessResource extends JsonResource {
  override cacheControl(): string {
    return 'no-store';
  }

  protected override toJson(): string {
    return jsonBody({ status: 'ok' });
  }
}

/**
 * GET /readyz: 200 when storage can serve (Storage.readiness: the data directory open, or a
 * cluster map and a reachable copy of every vbucket), cheap enough to ask every second; otherwise
 * 503 (B13) naming what is missing, so a balancer or the launcher skips this front end.
 */
export class ReadinessResource extends JsonResource {
  private readiness: Readiness | undefined;

  constructor(
    init: ResourceInit,
    private readonly storage: Storage,
  ) {
    super(init);
  }

  override async serviceAvailable(): Promise<boolean | Halt> {
    try {
      this.readiness = await this.storage.readiness();
    } catch (err) {
      this.readiness = { ready: false, detail: err instanceof Error ? err.message : String(err) };
    }
    return this.readiness.ready ? true : halt(503, { detail: `Not ready: ${this.readiness.detail}.`, ...(this.readiness.shards === undefined ? {} : { shards: this.readiness.shards }) });
  }

  override cacheControl(): string {
    return 'no-store';
  }

  protected override toJson(): string {
    return jsonBody({ status: 'ready', ...this.readiness });
  }
}

/**
 * GET /metrics: Prometheus text exposition, for a scraper holding the metrics credential
 * (METRICS_TOKEN, as a Bearer token; no other token opens it). Without access control (AUTH=off)
 * it is open; with access control and no credential configured, closed. nginx does not expose it.
 */
export class MetricsResource extends JsonResource {
  constructor(
    init: ResourceInit,
    private readonly metrics: Metrics,
    private readonly guard: { open: boolean; token?: string },
  ) {
    super(init);
  }

  override isAuthorized(): true | string {
    if (this.guard.open) return true;
    const given = Buffer.from(this.request.header('authorization') ?? '');
    const expected = Buffer.from(`Bearer ${this.guard.token ?? ''}`);
    const ok = this.guard.token !== undefined && given.length === expected.length && timingSafeEqual(given, expected);
    return ok ? true : 'Bearer realm="metrics"';
  }

  override contentTypesProvided(): ContentTypesProvided {
    // Prometheus asks for text/plain;version=0.0.4; a provided type must carry that parameter to match.
    return [['text/plain; version=0.0.4', () => this.metrics.registry.metrics()]];
  }

  override charsetsProvided(): CharsetsProvided {
    return [['utf-8', (body) => body]];
  }

  override cacheControl(): string {
    return 'no-store';
  }
}
