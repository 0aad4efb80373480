import type { Knex } from '@wallet/db';
import { decodeCursor, encodeCursor } from '@wallet/ids';
import type { Bucket } from './accounts.js';

export type LedgerLine = {
  readonly id: string;
  readonly asset: string;
  readonly bucket: Bucket;
  readonly amount: bigint;
  readonly kind: string;
  readonly refId: string;
  readonly balanceAfter: bigint;
  readonly createdAt: Date;
};

/**
 * One page of an account's journal lines, newest first.
 * @param cursor from the previous page's `nextCursor`
 */
export async function listLedger(
  db: Knex,
  accountId: string,
  options: { limit: number; cursor?: string | undefined; asset?: string | undefined },
): Promise<{ lines: LedgerLine[]; nextCursor: string | null }> {
  const query = db('journal')
    .where({ account_id: accountId })
    .orderBy('id', 'desc')
    .limit(options.limit + 1)
    .select<
      { id: string; asset: string; bucket: Bucket; amount: string; kind: string; ref_id: string; balance_after: string; created_at: Date }[]
    >('id', 'asset', 'bucket', 'amount', 'kind', 'ref_id', 'balance_after', 'created_at');
  if (options.asset) void query.andWhere({ asset: options.asset });
  if (options.cursor) void query.andWhere('id', '<', decodeCursor(options.cursor));
  const rows = await query;
  const page = rows.slice(0, options.limit);
  return {
    lines: page.map((r) => ({
      id: String(r.id),
      asset: r.asset,
      bucket: r.bucket,
      amount: BigInt(r.amount),
      kind: r.kind,
      refId: r.ref_id,
      balanceAfter: BigInt(r.balance_after),
      createdAt: r.created_at,
    })),
    nextCursor: rows.length > options.limit ? encodeCursor(String(page[page.length - 1]!.id)) : null,
  };
}
