import type { Knex } from '@wallet/db';

export type Balance = { readonly asset: string; readonly available: bigint; readonly frozen: bigint; readonly pending: bigint };

/**
 * The account's balance in each of `assets` (zero where it never held one), in the order given.
 * `pending` is the sum of its deposits seen on chain and not yet credited.
 */
export async function getBalances(db: Knex, accountId: string, assets: readonly string[]): Promise<Balance[]> {
  const [rows] = (await db.raw(
    `SELECT asset, CAST(SUM(available) AS CHAR) AS available, CAST(SUM(frozen) AS CHAR) AS frozen, CAST(SUM(pending) AS CHAR) AS pending FROM (
       SELECT asset, available, frozen, 0 AS pending FROM balances WHERE account_id = ?
       UNION ALL
       SELECT asset, 0, 0, amount FROM deposits WHERE account_id = ? AND status = 'pending'
     ) AS parts GROUP BY asset`,
    [accountId, accountId],
  )) as [{ asset: string; available: string; frozen: string; pending: string }[]];
  const byAsset = new Map(rows.map((r) => [r.asset, r]));
  return assets.map((asset) => {
    const r = byAsset.get(asset);
    return { asset, available: BigInt(r?.available ?? 0), frozen: BigInt(r?.frozen ?? 0), pending: BigInt(r?.pending ?? 0) };
  });
}
