import type { Knex } from 'knex';

/** MySQL errors after which the whole transaction may simply be run again. */
const RETRYABLE = new Set([
  1213, // ER_LOCK_DEADLOCK: InnoDB rolled the transaction back to break a deadlock
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

/**
 * Runs `work` in one MySQL transaction, committed if it resolves and rolled back if it throws. A
 * transaction chosen as a deadlock victim is retried (up to `attempts` in all), so callers write
 * straight-line code; `work` must therefore have no side effects outside the transaction.
 * @param attempts @default 5
 */
export async function withTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !RETRYABLE.has(mysqlErrno(error) ?? 0)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
    }
  }
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
