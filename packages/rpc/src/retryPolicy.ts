import { status } from '@grpc/grpc-js';

/**
 * Which failed calls a client retries, and how long it waits. Only transport-level UNAVAILABLE is
 * retried (connection refused or reset before an answer): every mutating wallet RPC carries an
 * idempotency key, so a retry after an unseen success is harmless, but an answer with a wallet error
 * code is final and never retried here.
 */
export type RetryPolicy = {
  /** Total attempts including the first. @default 3 */
  readonly maxAttempts: number;
  /** Delay before the second attempt; doubles each time, with full jitter. @default 50 */
  readonly initialBackoffMs: number;
  /** @default 1000 */
  readonly maxBackoffMs: number;
  /** gRPC statuses that may be retried. @default [UNAVAILABLE] */
  readonly retryableStatuses: readonly number[];
};

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 3,
  initialBackoffMs: 50,
  maxBackoffMs: 1000,
  retryableStatuses: [status.UNAVAILABLE],
};

/** Backoff before attempt `attempt` (2 = first retry): exponential with full jitter. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const cap = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (attempt - 2));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}
