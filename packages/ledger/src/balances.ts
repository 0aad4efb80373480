import type { Knex } from '@wallet/db';

export type Balance = { readonly asset: string; readonly available: bigint; readonly frozen: bigint; readonly pending: bigint };

/**
 * The account's balance in each of `assets` (zero where it never held one), in the order given.
 */
export async function getBalances(db: Knex, accountId: string, assets: readonly string[]): Promise<Balance[]> {
  const rows = await db('balances')
    .where({ account_id: accountId })
    .select<{ asset: string; available: string; frozen: string; pending: string }[]>('asset', 'available', 'frozen', 'pending');
  const byAsset = new Map(rows.map((r) => [r.asset, r]));
  return assets.map((asset) => {
    const r = byAsset.get(asset);
    return { asset, available: BigInt(r?.available ?? 0), frozen: BigInt(r?.frozen ?? 0), pending: BigInt(r?.pending ?? 0) };
  });
}
