import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './createDb.js';
import { createTestDatabase } from './testDatabase.js';
import { mysqlErrno, withTransaction } from './withTransaction.js';

// Real deadlocks on the real MariaDB: two transactions lock two rows in opposite orders, each waiting until the
// other holds its first row, so InnoDB must pick a victim. withTransaction runs the victim again.

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db.raw('CREATE TABLE deadlock_probe (id INT PRIMARY KEY, n INT NOT NULL)');
});

afterAll(async () => {
  await drop?.();
});

/** Resolves once `count` parties have arrived. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => {};
  const all = new Promise<void>((r) => (release = r));
  return () => {
    arrived += 1;
    if (arrived === count) release();
    return all;
  };
}

/**
 * Two transactions that deadlock on their first run: each locks one row, waits for the other to hold its row,
 * then updates the other's. Later runs (retries) pass the barrier at once.
 */
async function crossedUpdates(attempts: number): Promise<PromiseSettledResult<void>[]> {
  await db.raw('DELETE FROM deadlock_probe');
  await db('deadlock_probe').insert([
    { id: 1, n: 0 },
    { id: 2, n: 0 },
  ]);
  const bothHoldOneRow = barrier(2);
  const run = (first: number, second: number) =>
    withTransaction(
      db,
      async (trx) => {
        await trx('deadlock_probe').where({ id: first }).increment('n', 1);
        await bothHoldOneRow();
        await trx('deadlock_probe').where({ id: second }).increment('n', 1);
      },
      attempts,
    );
  return Promise.allSettled([run(1, 2), run(2, 1)]);
}

describe('withTransaction (real MariaDB)', () => {
  it('the deadlock is real: run once, the victim fails with ER_LOCK_DEADLOCK (1213)', async () => {
    const results = await crossedUpdates(1);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(mysqlErrno(failed[0]!.reason)).toBe(1213);
  });

  it("runs a deadlock victim again: both transactions commit, each row counts both transactions' increments", async () => {
    const results = await crossedUpdates(8);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const rows = await db('deadlock_probe').orderBy('id').select('id', 'n');
    expect(rows).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
  });

  it('runs a transaction that timed out waiting for a lock (1205) again once the lock is free', async () => {
    await db.raw('DELETE FROM deadlock_probe');
    await db('deadlock_probe').insert({ id: 1, n: 0 });
    const holderHasLock = barrier(2);
    let runs = 0;
    const holder = db.transaction(async (trx) => {
      await trx('deadlock_probe').where({ id: 1 }).forUpdate().first();
      await holderHasLock();
      // Hold the row until the waiter has timed out once.
      while (runs < 2) await new Promise((r) => setTimeout(r, 50));
    });
    await holderHasLock();
    await withTransaction(db, async (trx) => {
      runs += 1;
      await trx.raw('SET SESSION innodb_lock_wait_timeout = 1');
      await trx('deadlock_probe').where({ id: 1 }).increment('n', 1);
    });
    await holder;
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(await db('deadlock_probe').where({ id: 1 }).first<{ n: number }>('n')).toEqual({ n: 1 });
  });

  it('a transaction whose session is killed (KILL) fails with a retryable TIMEOUT, not a raw driver error, and writes nothing', async () => {
    // Found by the fault campaign (CI, seed 3: mysql-kill): a transfer answered 500 INTERNAL with knex's failed
    // ROLLBACK ("Can't add new command when connection is in closed state").
    await db.raw('DELETE FROM deadlock_probe');
    const attempt = withTransaction(db, async (trx) => {
      await trx('deadlock_probe').insert({ id: 7, n: 1 });
      const [[row]] = (await trx.raw('SELECT CONNECTION_ID() AS id')) as [[{ id: number }]];
      await db.raw(`KILL ${Number(row.id)}`);
      await trx('deadlock_probe').insert({ id: 8, n: 1 });
    });
    await expect(attempt).rejects.toMatchObject({ name: 'WalletError', code: 'TIMEOUT', details: { reason: 'database_connection_lost' } });
    expect(await db('deadlock_probe').pluck('id')).toEqual([]);
  });
});
