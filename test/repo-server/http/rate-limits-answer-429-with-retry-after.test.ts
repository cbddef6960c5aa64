/**
 * Per-address and per-token rate limits: RateLimit headers on every limited answer, a 429
 * problem with Retry-After past the limit, probes never limited, and one token's flood does not
 * spend another token's budget.
 */
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../fs-service/testing.js';
import { createApp } from '../../../repo-server/app.js';
import { EventBus } from '../../../repo-server/events/event-bus.js';
import { createLogger } from '../../../repo-server/observability/logger.js';
import { loadConfig } from '../../../repo-server/config.js';

function app(perToken: number, perAddress: number) {
  return createApp({ storage: new MemoryStorage(), events: new EventBus(), logger: createLogger('silent'), engine: {}, rateLimits: { perToken, perAddress, windowMs: 60_000 } });
}

describe('rate limits', () => {
  it('answers 429 problem+json with Retry-After once an address spends its budget, and says so in RateLimit headers', async () => {
    const a = app(100, 3);
    for (let i = 0; i < 3; i++) {
      const ok = await request(a).get('/repos');
      expect(ok.status).toBe(200);
      expect(ok.headers['ratelimit']).toMatch(/limit=3, remaining=\d+, reset=\d+/);
      expect(ok.headers['ratelimit-policy']).toMatch(/^3;w=60/);
    }
    const refused = await request(a).get('/repos');
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.status).toBe(429);
    // Probes must always reach the front end, or the balancer would take it out of service.
    expect((await request(a).get('/healthz')).status).toBe(200);
    expect((await request(a).get('/readyz')).status).toBe(200);
  });

  it('limits each token on its own: one token flooding does not refuse another', async () => {
    const a = app(2, 1000);
    const flood = 'Bearer crt_0000000000000001_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const other = 'Bearer crt_0000000000000002_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
    for (let i = 0; i < 2; i++) expect((await request(a).get('/repos').set('Authorization', flood)).status).not.toBe(429);
    expect((await request(a).get('/repos').set('Authorization', flood)).status).toBe(429);
    expect((await request(a).get('/repos').set('Authorization', other)).status).not.toBe(429);
  });
});

describe('rate limits shared by the front ends behind one balancer', () => {
  it('each of N front ends enforces its share of the configured limits (RATE_LIMIT_FRONTENDS)', async () => {
    const shared = loadConfig([], { RATE_LIMIT_PER_ADDRESS: '12000', RATE_LIMIT_PER_TOKEN: '6000', RATE_LIMIT_FRONTENDS: '3' }).rateLimits!;
    expect([shared.perAddress, shared.perToken]).toEqual([4000, 2000]);
    const alone = loadConfig([], { RATE_LIMIT_PER_ADDRESS: '10' }).rateLimits!;
    expect(alone.perAddress).toBe(10);
    // Never rounded down to nothing: a share is at least one request.
    expect(loadConfig([], { RATE_LIMIT_PER_ADDRESS: '2', RATE_LIMIT_FRONTENDS: '5' }).rateLimits!.perAddress).toBe(1);
    expect(() => loadConfig([], { RATE_LIMIT_FRONTENDS: 'two' })).toThrow(/RATE_LIMIT_FRONTENDS must be a non-negative integer/);
    expect(loadConfig([], { RATE_LIMIT: 'off', RATE_LIMIT_FRONTENDS: '3' }).rateLimits).toBeUndefined();
  });
});
