import type { Knex } from '@wallet/db';

/** A journal entry whose lines of one asset do not sum to zero (`entryId` null: all lines of the asset together). */
export type UnbalancedJournal = { readonly entryId: string | null; readonly asset: string; readonly sum: bigint };
/** A balance row below zero in either bucket. */
export type NegativeBalance = { readonly accountId: string; readonly asset: string; readonly available: bigint; readonly frozen: bigint };

/**
 * The two breaks of the books that must never happen, whatever is in flight: a journal that does not sum to zero
 * (per entry and asset, and per asset over the whole journal) and a negative balance. `walletctl ledger check` reports
 * them among its invariants; signsrv's reconciliation raises an alarm on each at once.
 * @param limit at most this many of each kind @default 20
 */
export async function findLedgerBreaks(
  db: Knex,
  limit = 20,
): Promise<{ readonly unbalanced: UnbalancedJournal[]; readonly negative: NegativeBalance[] }> {
  const [entries] = (await db.raw(
    `SELECT entry_id, asset, CAST(SUM(amount) AS CHAR) AS sum FROM journal GROUP BY entry_id, asset HAVING SUM(amount) <> 0 LIMIT ?`,
    [limit],
  )) as [{ entry_id: string; asset: string; sum: string }[]];
  const [assets] = (await db.raw(`SELECT asset, CAST(SUM(amount) AS CHAR) AS sum FROM journal GROUP BY asset`)) as [
    { asset: string; sum: string }[],
  ];
  const [negative] = (await db.raw(
    `SELECT account_id, asset, CAST(available AS CHAR) AS available, CAST(frozen AS CHAR) AS frozen
     FROM balances WHERE available < 0 OR frozen < 0 LIMIT ?`,
    [limit],
  )) as [{ account_id: string; asset: string; available: string; frozen: string }[]];
  return {
    unbalanced: [
      ...entries.map((r) => ({ entryId: r.entry_id, asset: r.asset, sum: BigInt(r.sum) })),
      ...assets.filter((r) => BigInt(r.sum) !== 0n).map((r) => ({ entryId: null, asset: r.asset, sum: BigInt(r.sum) })),
    ],
    negative: negative.map((r) => ({
      accountId: r.account_id,
      asset: r.asset,
      available: BigInt(r.available),
      frozen: BigInt(r.frozen),
    })),
  };
}
