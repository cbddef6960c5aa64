import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** One Prometheus registry per front end (prom-client: the maintained Node client). */
export class Metrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly refUpdates: Counter<'via'>;
  readonly websockets: Gauge;

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
  }

  /** Express middleware timing every request under its route pattern (never the raw path). */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const end = this.requestDuration.startTimer();
      res.on('finish', () => {
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
        end({ method: req.method, route: String(route), status: String(res.statusCode) });
      });
      next();
    };
  }
}
