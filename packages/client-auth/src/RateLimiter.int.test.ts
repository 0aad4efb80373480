import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { RateLimiter, rateLimitHeaders } from './index.js';
import { connectTestRedis } from '@wallet/testkit';

const { redis, prefix, cleanup } = connectTestRedis();
afterAll(cleanup);

let keys = 0;
/** A key id no other test touches, so each test starts with a full budget. */
const freshKey = () => `key_rl_${++keys}`;

describe('RateLimiter', () => {
  it('allows `limit` requests, counting down remaining, then refuses with Retry-After >= 1', async () => {
    const limiter = new RateLimiter({ redis, prefix, limit: 5 });
    const key = freshKey();
    const decisions = [];
    for (let i = 0; i < 6; i++) decisions.push(await limiter.consume(key));
    expect(decisions.slice(0, 5)).toEqual(
      [4, 3, 2, 1, 0].map((remaining) => ({ allowed: true, retryAfterSeconds: 0, limit: 5, remaining, resetSeconds: 1 })),
    );
    expect(decisions[5]).toEqual({ allowed: false, retryAfterSeconds: 1, limit: 5, remaining: 0, resetSeconds: 1 });
    expect(rateLimitHeaders(decisions[1]!)).toEqual({ 'ratelimit-limit': '5', 'ratelimit-remaining': '3', 'ratelimit-reset': '1' });
  });

  it('says in RateLimit-Reset when the whole budget is back: the spent share of the window, rounded up', async () => {
    // 10 per 100 s: each request spends 10 s of the window.
    const limiter = new RateLimiter({ redis, prefix, limit: 10, windowMs: 100_000 });
    const key = freshKey();
    const resets = [];
    for (let i = 0; i < 11; i++) resets.push(await limiter.consume(key));
    expect(resets.map((d) => d.resetSeconds)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 100]);
    expect(resets.map((d) => d.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
    // Refused: the next request fits once one interval has passed (just under 10 s), the whole budget in 100 s.
    expect(resets[10]).toMatchObject({ allowed: false, retryAfterSeconds: 10, resetSeconds: 100 });
  });

  it('says how long to wait, rounded up to whole seconds', async () => {
    // 2 per 10 s: one request fits every 5 s, so right after a burst of 2 the next one fits in just under 5 s.
    const limiter = new RateLimiter({ redis, prefix, limit: 2, windowMs: 10_000 });
    const key = freshKey();
    await limiter.consume(key);
    await limiter.consume(key);
    const refused = await limiter.consume(key);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBe(5);
  });

  it('allows a full burst again once the window has passed', async () => {
    const limiter = new RateLimiter({ redis, prefix, limit: 3, windowMs: 300 });
    const key = freshKey();
    for (let i = 0; i < 3; i++) expect((await limiter.consume(key)).allowed).toBe(true);
    expect((await limiter.consume(key)).allowed).toBe(false);
    await sleep(320);
    for (let i = 0; i < 3; i++) expect((await limiter.consume(key)).allowed).toBe(true);
    expect((await limiter.consume(key)).allowed).toBe(false);
  });

  it('refills steadily: one more request per window / limit', async () => {
    const limiter = new RateLimiter({ redis, prefix, limit: 4, windowMs: 400 });
    const key = freshKey();
    for (let i = 0; i < 4; i++) await limiter.consume(key);
    expect((await limiter.consume(key)).allowed).toBe(false);
    await sleep(110);
    expect((await limiter.consume(key)).allowed).toBe(true);
    expect((await limiter.consume(key)).allowed).toBe(false);
  });

  it('shares one budget between two gateway instances', async () => {
    const gatewayA = new RateLimiter({ redis, prefix, limit: 4, windowMs: 60_000 });
    const gatewayB = new RateLimiter({ redis, prefix, limit: 4, windowMs: 60_000 });
    const key = freshKey();
    expect((await gatewayA.consume(key)).allowed).toBe(true);
    expect((await gatewayB.consume(key)).allowed).toBe(true);
    expect((await gatewayA.consume(key)).allowed).toBe(true);
    expect(await gatewayB.consume(key)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await gatewayA.consume(key)).allowed).toBe(false);
    expect((await gatewayB.consume(key)).allowed).toBe(false);
  });

  it('keeps separate budgets per key', async () => {
    const limiter = new RateLimiter({ redis, prefix, limit: 1, windowMs: 60_000 });
    const [a, b] = [freshKey(), freshKey()];
    expect((await limiter.consume(a)).allowed).toBe(true);
    expect((await limiter.consume(a)).allowed).toBe(false);
    expect((await limiter.consume(b)).allowed).toBe(true);
  });

  it('allows exactly `limit` of limit + 50 concurrent requests from two instances', async () => {
    const limit = 100;
    const limiters = [
      new RateLimiter({ redis, prefix, limit, windowMs: 60_000 }),
      new RateLimiter({ redis, prefix, limit, windowMs: 60_000 }),
    ];
    const key = freshKey();
    const decisions = await Promise.all(Array.from({ length: limit + 50 }, (_, i) => limiters[i % 2]!.consume(key)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(limit);
    for (const d of decisions.filter((d) => !d.allowed)) expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('lets its Redis state expire once the key is idle', async () => {
    const limiter = new RateLimiter({ redis, prefix, limit: 10, windowMs: 1000 });
    const key = freshKey();
    await limiter.consume(key);
    const ttl = await redis.pttl(`${prefix}ratelimit:${key}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(100);
  });

  it.each([
    ['a zero limit', { limit: 0 }],
    ['a fractional limit', { limit: 1.5 }],
    ['a zero window', { limit: 1, windowMs: 0 }],
  ])('refuses %s as CONFIG_INVALID', (_name, options) => {
    expect(() => new RateLimiter({ redis, prefix, ...options })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
