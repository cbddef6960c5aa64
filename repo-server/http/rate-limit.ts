import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import proxyAddr from 'proxy-addr';
import { presentedToken } from '../auth/authorizer.js';
import { sendProblem } from './fallbacks.js';
import { pathOf, type Step } from './front-door.js';

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

/** Behind nginx on loopback the client's address is the last X-Forwarded-For hop nginx added. */
const trustLoopback = proxyAddr.compile('loopback');

function clientAddress(req: IncomingMessage): string {
  return proxyAddr(req, trustLoopback);
}

/**
 * express-rate-limit is written against Express's request type but reads only the headers, the
 * socket and what our options compute, so it runs in the front door on plain Node objects.
 */
function limiter(limit: number, windowMs: number, key: (req: IncomingMessage) => string | undefined, scope: string): Step {
  const middleware = rateLimit({
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    identifier: scope,
    skip: (req) => EXEMPT.has(pathOf(req.url)) || key(req) === undefined,
    keyGenerator: (req) => key(req)!,
    handler: (req, res, _next, options) => {
      const retryAfter = Math.ceil(options.windowMs / 1000);
      res.setHeader('Retry-After', String(retryAfter));
      sendProblem(req, res, 429, `Too many requests for this ${scope}; retry after ${retryAfter} s.`);
    },
  });
  return (req, res, next) => void middleware(req as ExpressRequest, res as ExpressResponse, next);
}

/**
 * Per-token and per-address limits with RateLimit / RateLimit-Policy headers (draft-7) and a 429
 * problem with Retry-After. Counters live in each front end (memory); behind nginx with N front
 * ends a client gets up to N times the limit, which is documented. A token is keyed by a hash of
 * the whole presented value, so nobody can spend somebody else's budget by naming their token id.
 */
export function rateLimiters(limits: RateLimits): Step[] {
  return [
    limiter(limits.perAddress, limits.windowMs, (req) => ipKeyGenerator(clientAddress(req)), 'address'),
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
