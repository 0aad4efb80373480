/**
 * The codes docs/errors.md marks retryable: the same request may succeed later. A copy of the registry's
 * (packages/errors), so the SDK has no runtime dependency; a unit test checks the two are equal.
 */
export const retryableCodes: ReadonlySet<string> = new Set([
  'IDEMPOTENCY_IN_PROGRESS',
  'CONFLICT',
  'SIGNING_PAUSED',
  'REQUEST_TIMEOUT',
  'RATE_LIMITED',
  'TOO_MANY_ATTEMPTS',
  'SHARD_UNAVAILABLE',
  'UNAVAILABLE',
  'TIMEOUT',
  'CLIENT_DISABLED',
]);

export type RetryOptions = {
  /** Attempts per call, the first included; 1 turns retries off. @default 4 */
  readonly maxAttempts?: number;
  /** The backoff's first step. @default 250 */
  readonly baseDelayMs?: number;
  /** The backoff's cap (before jitter). @default 8000 */
  readonly maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the error is thrown at once. @default 60000 */
  readonly maxRetryAfterMs?: number;
};

/** {@link RetryOptions} with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/**
 * Fills in the defaults and checks the options.
 * @param options what the caller set
 * @returns the policy
 */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 8000, maxRetryAfterMs: 60_000, ...options };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) throw new RangeError('retry.maxAttempts must be an integer >= 1');
  for (const name of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!Number.isFinite(policy[name]) || policy[name] < 0) throw new RangeError(`retry.${name} must be a number >= 0`);
  }
  return policy;
}

/** What an attempt ended with, as far as retrying is concerned. */
export type AttemptFailure =
  /** No answer: the request may or may not have reached the gateway. */
  | { readonly kind: 'network' }
  /** An answer: its status, its error code if it had the API's envelope, and its Retry-After in ms if any. */
  | { readonly kind: 'answer'; readonly status: number; readonly code: string | undefined; readonly retryAfterMs: number | undefined };

/**
 * Whether a failed attempt may be sent again. Retrying is safe because every attempt of a POST carries the same
 * Idempotency-Key (docs/api.md, Idempotency): a copy that already took effect answers with that outcome.
 * - no answer at all: yes;
 * - an API error: only a code the registry marks retryable (never `INTERNAL`, never a 4xx refusal);
 * - an answer without the API's error envelope (a proxy's page): only 503 and 504.
 * @param failure how the attempt failed
 */
export function isRetryable(failure: AttemptFailure): boolean {
  if (failure.kind === 'network') return true;
  if (failure.code !== undefined) return retryableCodes.has(failure.code);
  return failure.status === 503 || failure.status === 504;
}

/**
 * How long to wait before attempt `attempt + 1`: capped exponential backoff with full jitter (a uniformly random
 * delay up to `min(maxDelayMs, baseDelayMs * 2^(attempt-1))`, so many clients failing at once do not retry in
 * step), and never less than the server's `Retry-After`.
 * @param policy the retry policy
 * @param attempt the attempt that just failed, from 1
 * @param retryAfterMs the answer's Retry-After, if any
 * @param random a source of [0, 1) @default Math.random
 * @returns the delay in ms, or undefined when the server asks for a longer wait than the policy allows
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return undefined;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.max(retryAfterMs ?? 0, Math.floor(random() * ceiling));
}

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP date.
 * @param value the header, if any
 * @param now epoch ms, for a date
 * @returns milliseconds to wait (0 for a date in the past), or undefined when absent or unreadable
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date (IMF-fixdate, or the obsolete RFC 850 form): both end in GMT.
  const date = trimmed.endsWith(' GMT') ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
