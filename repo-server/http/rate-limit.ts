import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { PROBLEM_MEDIA_TYPE, problem, renderProblem } from '../../webmachine/index.js';
import { presentedToken } from '../auth/authorizer.js';

export interface RateLimits {
  /** Requests per window for one token. */
  perToken: number;
  /** Requests per window from one address, whatever the token (stops token-spraying). */
  perAddress: number;
  windowMs: number;
}

export const defaultRateLimits: RateLimits = { perToken: 6000, perAddress: 12000, windowMs: 60_000 };

/** Probes and scrapes are never limited: the balancer and Prometheus must always get through. */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

function limiter(limit: number, windowMs: number, key: (req: Parameters<RequestHandler>[0]) => string | undefined, scope: string): RequestHandler {
  return rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    identifier: scope,
    skip: (req) => EXEMPT.has(req.path) || key(req) === undefined,
    keyGenerator: (req) => key(req)!,
    handler: (req, res, _next, options) => {
      const retryAfter = Math.ceil(options.windowMs / 1000);
      res
        .status(429)
        .set('Retry-After', String(retryAfter))
        .type(PROBLEM_MEDIA_TYPE)
        .send(renderProblem(problem(429, { detail: `Too many requests for this ${scope}; retry after ${retryAfter} s.` })));
    },
  });
}

/**
 * Per-token and per-address limits with RateLimit / RateLimit-Policy headers (draft-7) and a 429
 * problem with Retry-After. Counters live in each front end (memory); behind nginx with N front
 * ends a client gets up to N times the limit, which is documented. A token is keyed by a hash of
 * the whole presented value, so nobody can spend somebody else's budget by naming their token id.
 */
export function rateLimiters(limits: RateLimits): RequestHandler[] {
  return [
    limiter(limits.perAddress, limits.windowMs, (req) => ipKeyGenerator(req.ip ?? 'unknown'), 'address'),
    limiter(
      limits.perToken,
      limits.windowMs,
      (req) => {
        const token = presentedToken(req.headers.authorization);
        return token === undefined ? undefined : createHash('sha256').update(token).digest('hex');
      },
      'token',
    ),
  ];
}
