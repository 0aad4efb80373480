import { WalletError } from '@wallet/errors';
import type { Redis } from 'ioredis';
import { keySegment } from './keySegment.js';
import { LuaScript } from './LuaScript.js';

export type RateLimiterOptions = {
  /** Shared by every gateway instance: the budget is per key across the cluster, not per process. */
  readonly redis: Redis;
  /** Start of every Redis key, e.g. `wallet:prod:`. */
  readonly prefix: string;
  /** Requests allowed per window (and the largest burst). */
  readonly limit: number;
  /** The window. @default 1000 */
  readonly windowMs?: number;
};

/** The outcome of one {@link RateLimiter.consume}, and what the answer's RateLimit-* headers say. */
export type RateLimitDecision = {
  readonly allowed: boolean;
  /** 0 when allowed; otherwise whole seconds (>= 1) to send as `Retry-After`. */
  readonly retryAfterSeconds: number;
  /** The key's budget: requests per window, and the largest burst (`RateLimit-Limit`). */
  readonly limit: number;
  /** Requests still allowed right now after this one (`RateLimit-Remaining`). */
  readonly remaining: number;
  /** Whole seconds, rounded up, until the whole budget is back if no request comes meanwhile (`RateLimit-Reset`). */
  readonly resetSeconds: number;
};

// GCRA (generic cell rate algorithm), the token bucket written as one timestamp per key.
//
// Why GCRA: it is exact (a fixed window lets 2 * limit through around a window boundary; the
// sliding-window counter only approximates), it keeps O(1) state per key (a sliding-window log keeps a
// sorted set of up to `limit` entries per key), and a refusal knows exactly when the next request fits,
// which is what Retry-After needs. With emission interval T = window / limit, each request moves the key's
// theoretical arrival time (TAT) T later; a request is allowed while TAT - now <= window, i.e. a burst of
// `limit` from idle, then one request per T. After `window` of silence the whole burst is back.
//
// The clock is Redis's TIME, not the gateway's, so instances with skewed clocks share one timeline.
// Times are epoch ms as doubles, stored with %.17g so they round-trip exactly.
//
// The budget is whole again once TAT is reached: TAT - now is how long until then (RateLimit-Reset).
//
// KEYS[1] the key's TAT   ARGV[1] windowMs   ARGV[2] limit
// returns {allowed 1|0, waitMs until the next request fits (0 when allowed), remaining, resetMs until TAT}
// (whole numbers: Redis truncates a Lua number to an integer reply, so each is rounded here, up)
const gcra = new LuaScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local window = tonumber(ARGV[1])
local interval = window / tonumber(ARGV[2])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then tat = math.max(tonumber(stored), now) end
local newTat = tat + interval
-- 1 us of slack absorbs float rounding, so a burst of exactly limit requests always fits.
local slack = 0.001
if newTat - now > window + slack then
  return {0, math.ceil(newTat - window - now), 0, math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], string.format('%.17g', newTat), 'PX', math.ceil(newTat - now))
return {1, 0, math.floor((window - (newTat - now)) / interval + slack), math.ceil(newTat - now)}
`);

/**
 * Per-key request budget shared by all gateway instances through Redis; each decision is one atomic
 * script call, so concurrent requests on any number of gateways can never overspend it.
 */
export class RateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(options: RateLimiterOptions) {
    const windowMs = options.windowMs ?? 1000;
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new WalletError('CONFIG_INVALID', 'rate limit must be a positive integer', { details: { limit: options.limit } });
    }
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) {
      throw new WalletError('CONFIG_INVALID', 'rate limit window must be a positive whole number of ms', { details: { windowMs } });
    }
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#limit = options.limit;
    this.#windowMs = windowMs;
  }

  /**
   * Takes one request from `keyId`'s budget if there is one left.
   * @param keyId the API key the request was signed with
   * @returns whether to serve it, when refused how long the client should wait, and the budget left
   */
  async consume(keyId: string): Promise<RateLimitDecision> {
    const reply = await gcra.run(this.#redis, [`${this.#prefix}ratelimit:${keySegment(keyId)}`], [this.#windowMs, this.#limit]);
    const [allowed, waitMs, remaining, resetMs] = reply as [number, number, number, number];
    const budget = { limit: this.#limit, resetSeconds: Math.max(0, Math.ceil(resetMs / 1000)) };
    if (allowed === 1) return { allowed: true, retryAfterSeconds: 0, remaining, ...budget };
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), remaining: 0, ...budget };
  }
}

/**
 * The RateLimit-* answer headers of a decision (docs/api.md, Rate limits): limit, remaining, and seconds until the
 * whole budget is back; `Retry-After` on a refusal is the edge's (from the error's details).
 * @param decision what {@link RateLimiter.consume} said
 * @returns lower-case header names and their values
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
  };
}
