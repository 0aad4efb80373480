import { WalletError, isConnectionLost } from '@wallet/errors';
import type { Knex } from 'knex';

/** MySQL errors after which the whole transaction may simply be run again. */
const RETRYABLE = new Set([
  1213, // ER_LOCK_DEADLOCK: InnoDB rolled the transaction back to break a deadlock
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

/**
 * Runs `work` in one MySQL transaction, committed if it resolves and rolled back if it throws. A
 * transaction chosen as a deadlock victim (1213) or timed out waiting for a lock (1205) is rolled back
 * and run again, up to `attempts` in all, after an exponential backoff with full jitter (so the
 * transactions that met do not meet again in step); callers write straight-line code. `work` may
 * therefore run more than once: it must have no side effects outside the transaction (no messages
 * sent, no caches written, no state kept from one run to the next).
 * @param attempts @default 8
 */
export async function withTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (isConnectionLost(error)) throw connectionLost(error);
      if (attempt >= attempts || !isRetryableTransactionError(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(MAX_BACKOFF_MS, 5 * 2 ** attempt)));
    }
  }
}

/**
 * A transaction whose connection was lost is not run again here: the loss may have come during COMMIT, so whether it
 * took effect is unknown. The caller is told so with a retryable TIMEOUT (retry with the same idempotency key: every
 * mutating request is idempotent), never INTERNAL.
 */
function connectionLost(cause: unknown): WalletError {
  return new WalletError('TIMEOUT', 'the database connection was lost during the transaction: its outcome is unknown; retry', {
    details: { reason: 'database_connection_lost' },
    cause,
  });
}

/** Cap of the backoff between attempts. */
const MAX_BACKOFF_MS = 250;

/** Whether `error` ended a transaction that may simply be run again (deadlock victim, lock wait timeout). */
export function isRetryableTransactionError(error: unknown): boolean {
  return RETRYABLE.has(mysqlErrno(error) ?? 0);
}

/** The MySQL error number of a driver error, if it is one. */
export function mysqlErrno(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}

/** ER_DUP_ENTRY: a unique key said no. */
export function isDuplicateKey(error: unknown): boolean {
  return mysqlErrno(error) === 1062;
}
