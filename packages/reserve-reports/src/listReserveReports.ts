import type { Knex } from '@wallet/db';

/** A stored report as it is published: what a client compares its proof's root and total with. */
export type ReserveReportSummary = {
  readonly id: string;
  readonly asset: string;
  readonly root: string;
  readonly total: bigint;
  readonly leafCount: number;
  /** The sum of the holdings' balances when every one was read from the chain; null otherwise. */
  readonly holdingsTotal: bigint | null;
  readonly createdAt: Date;
};

/**
 * The latest reports, newest first (created_at, then id), of one asset or of all.
 * @param limit @default 20
 */
export async function listReserveReports(db: Knex, options: { asset?: string; limit?: number } = {}): Promise<ReserveReportSummary[]> {
  const [rows] = (await db.raw(
    `SELECT id, asset, root, CAST(total AS CHAR) AS total, leaf_count, CAST(holdings_total AS CHAR) AS holdings_total, created_at
     FROM reserve_reports ${options.asset ? 'WHERE asset = ?' : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
    [...(options.asset ? [options.asset] : []), options.limit ?? 20],
  )) as [{ id: string; asset: string; root: string; total: string; leaf_count: number; holdings_total: string | null; created_at: Date }[]];
  return rows.map((r) => ({
    id: r.id,
    asset: r.asset,
    root: r.root,
    total: BigInt(r.total),
    leafCount: r.leaf_count,
    holdingsTotal: r.holdings_total === null ? null : BigInt(r.holdings_total),
    createdAt: r.created_at,
  }));
}
