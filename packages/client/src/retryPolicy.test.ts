import { errorCodes, errorRegistry } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { isRetryable, parseRetryAfter, retryDelayMs, retryPolicy, retryableCodes } from './retryPolicy.js';

describe('retryableCodes', () => {
  it('is exactly the codes the error registry marks retryable', () => {
    const registry = errorCodes.filter((code) => errorRegistry[code].retryable);
    expect([...retryableCodes].sort()).toEqual([...registry].sort());
  });
});

describe('isRetryable', () => {
  it('retries a lost answer', () => {
    expect(isRetryable({ kind: 'network' })).toBe(true);
  });

  it('retries an API error only when its code is retryable, whatever its status', () => {
    const answer = (status: number, code: string) => ({ kind: 'answer' as const, status, code, retryAfterMs: undefined });
    for (const code of errorCodes) expect(isRetryable(answer(errorRegistry[code].http, code))).toBe(errorRegistry[code].retryable);
    expect(isRetryable(answer(500, 'INTERNAL'))).toBe(false);
    expect(isRetryable(answer(503, 'SOME_NEWER_CODE'))).toBe(false);
  });

  it('retries an answer without the API envelope only on 503 and 504', () => {
    const bare = (status: number) => isRetryable({ kind: 'answer', status, code: undefined, retryAfterMs: undefined });
    expect([500, 502, 503, 504, 400, 404, 429].filter(bare)).toEqual([503, 504]);
  });
});

describe('retryDelayMs', () => {
  const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 });

  it('grows exponentially up to the cap, with full jitter', () => {
    const top = (attempt: number) => retryDelayMs(policy, attempt, undefined, () => 0.999_999);
    expect([1, 2, 3, 4, 5, 9].map(top)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(retryDelayMs(policy, 3, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(policy, 3, undefined, () => 0.5)).toBe(200);
  });

  it('never waits less than Retry-After, and gives up on one longer than allowed', () => {
    expect(retryDelayMs(policy, 1, 2000, () => 0.5)).toBe(2000);
    expect(retryDelayMs(policy, 1, 5000, () => 0)).toBe(5000);
    expect(retryDelayMs(policy, 1, 5001, () => 0)).toBeUndefined();
  });

  it('refuses nonsense options', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
    expect(() => retryPolicy({ maxAttempts: 1.5 })).toThrow(RangeError);
    expect(() => retryPolicy({ baseDelayMs: -1 })).toThrow(RangeError);
    expect(retryPolicy()).toEqual({ maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 60_000 });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-12-04T12:00:00.000Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 04 Dec 2024 12:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 04 Dec 2024 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});
