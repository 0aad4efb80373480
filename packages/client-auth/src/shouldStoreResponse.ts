import { errorRegistry, isErrorCode } from '@wallet/errors';

// Statuses that say "try again later" even without one of our error codes.
const transientStatuses = new Set([408, 425, 429]);

/**
 * Whether a POST's response becomes the idempotent answer for its key ({@link IdempotencyStore.complete})
 * or the key is released for a retry ({@link IdempotencyStore.abandon}).
 *
 * Kept: successes and definitive refusals (4xx such as VALIDATION_FAILED, INSUFFICIENT_FUNDS): resending the
 * same request would get the same answer, and docs/api.md promises the first response. Released: 5xx
 * (INTERNAL, SHARD_UNAVAILABLE, UNAVAILABLE) and errors the registry marks retryable (CONFLICT,
 * RATE_LIMITED): storing them would turn a transient outage into a permanent failure for that key. A
 * released key is safe to retry because the services enforce the key in MySQL too, so a request that did
 * commit before the failure is found there rather than executed twice.
 * @param status the HTTP status about to be sent
 * @param code the error code of an error response, if any
 * @returns true to complete (store), false to abandon
 */
export function shouldStoreResponse(status: number, code?: string): boolean {
  if (status >= 500 || transientStatuses.has(status)) return false;
  if (code !== undefined && isErrorCode(code) && errorRegistry[code].retryable) return false;
  return true;
}
