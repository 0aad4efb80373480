import type { Knex } from '@wallet/db';
import type { WithdrawalRow } from '@wallet/withdrawal-protocol';
import type { Velocity } from './ReviewRules.js';

/** Statuses that do not count towards velocity: nothing left, or nothing will. */
const NOT_COUNTED = ['rejected', 'cancelled', 'failed'];

/**
 * The withdrawal's account's and client's totals in its asset over the rolling 24 h before now (MySQL's clock),
 * this withdrawal included (it counts even when older: it is the one being decided). Index-backed
 * (withdrawals_velocity_account / _client).
 */
export async function velocityOf(
  db: Knex,
  row: Pick<WithdrawalRow, 'id' | 'account_id' | 'client_id' | 'asset' | 'amount'>,
): Promise<Velocity> {
  const sum = async (column: 'account_id' | 'client_id', value: string) => {
    const [rows] = (await db.raw(
      `SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS total FROM withdrawals
        WHERE ${column} = ? AND asset = ? AND created_at >= CURRENT_TIMESTAMP(3) - INTERVAL 1 DAY
          AND status NOT IN (${NOT_COUNTED.map(() => '?').join(', ')}) AND id <> ?`,
      [value, row.asset, ...NOT_COUNTED, row.id],
    )) as [{ total: string }[]];
    return BigInt(rows[0]!.total) + BigInt(row.amount);
  };
  const [account, client] = await Promise.all([sum('account_id', row.account_id), sum('client_id', row.client_id)]);
  return { account, client };
}
