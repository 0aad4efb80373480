import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { WithdrawalRow } from '@wallet/withdrawal-protocol';

/** Per asset, in base units: the largest single withdrawal, and the most approved per UTC day. */
export type PayoutLimits = Readonly<Record<string, { readonly perWithdrawal?: bigint | undefined; readonly daily?: bigint | undefined }>>;

/**
 * Checks an approval against its asset's limits, inside the approving transaction, and counts it in the day's total
 * (`approval_totals`, locked: concurrent approvals of one asset are counted one after the other).
 * @throws WalletError LIMIT_EXCEEDED with `details.kind` `per_withdrawal` or `daily`
 */
export async function checkLimits(trx: Knex.Transaction, limits: PayoutLimits, row: WithdrawalRow): Promise<void> {
  const limit = limits[row.asset];
  if (!limit) return;
  const amount = BigInt(row.amount);
  if (limit.perWithdrawal !== undefined && amount > limit.perWithdrawal) {
    throw new WalletError('LIMIT_EXCEEDED', `above the per-withdrawal limit of ${row.asset}`, {
      details: { asset: row.asset, limit: limit.perWithdrawal.toString(), kind: 'per_withdrawal' },
    });
  }
  if (limit.daily === undefined) return;
  const day = new Date().toISOString().slice(0, 10);
  await trx.raw('INSERT IGNORE INTO approval_totals (asset, day, total) VALUES (?, ?, 0)', [row.asset, day]);
  const [rows] = (await trx.raw('SELECT CAST(total AS CHAR) AS total FROM approval_totals WHERE asset = ? AND day = ? FOR UPDATE', [
    row.asset,
    day,
  ])) as [{ total: string }[]];
  const total = BigInt(rows[0]!.total);
  if (total + amount > limit.daily) {
    throw new WalletError('LIMIT_EXCEEDED', `above the daily limit of ${row.asset}`, {
      details: { asset: row.asset, limit: limit.daily.toString(), approvedToday: total.toString(), kind: 'daily' },
    });
  }
  await trx.raw('UPDATE approval_totals SET total = total + CAST(? AS DECIMAL(65,0)) WHERE asset = ? AND day = ?', [
    amount.toString(),
    row.asset,
    day,
  ]);
}
