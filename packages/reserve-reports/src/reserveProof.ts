import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { PADDING_HASH, type ProofStep } from '@wallet/reserves';

/** What a client needs to check that its account is in the latest report of an asset (docs/reserves.md). */
export type ReserveProof = {
  readonly reportId: string;
  readonly asset: string;
  readonly root: string;
  readonly total: bigint;
  readonly leafCount: number;
  readonly createdAt: Date;
  readonly leafIndex: number;
  readonly balance: bigint;
  readonly commitment: string;
  /** The account's client's salt: a secret of that client, answered to it alone. */
  readonly salt: string;
  readonly path: readonly ProofStep[];
};

/**
 * The inclusion proof of an account in the latest report of an asset (latest by created_at, then id), read from the
 * stored nodes: one row per level, never a rebuild of the tree.
 * @throws WalletError RESERVES_PROOF_NOT_FOUND (`details.reason` `no_report`: the asset has no report yet; `no_leaf`:
 *   the latest report has no leaf for the account)
 */
export async function reserveProof(db: Knex, accountId: string, asset: string): Promise<ReserveProof> {
  const [[report]] = (await db.raw(
    `SELECT id, root, CAST(total AS CHAR) AS total, leaf_count, created_at FROM reserve_reports
     WHERE asset = ? ORDER BY created_at DESC, id DESC LIMIT 1`,
    [asset],
  )) as [{ id: string; root: string; total: string; leaf_count: number; created_at: Date }[]];
  if (!report) {
    throw new WalletError('RESERVES_PROOF_NOT_FOUND', `no proof-of-reserves report of ${asset} yet`, {
      details: { reason: 'no_report', asset },
    });
  }
  const [[leaf]] = (await db.raw(
    'SELECT leaf_index, CAST(balance AS CHAR) AS balance, commitment FROM reserve_leaves WHERE report_id = ? AND account_id = ?',
    [report.id, accountId],
  )) as [{ leaf_index: number; balance: string; commitment: string }[]];
  if (!leaf) {
    throw new WalletError('RESERVES_PROOF_NOT_FOUND', `the latest ${asset} report has no leaf for this account`, {
      details: { reason: 'no_leaf', asset, reportId: report.id },
    });
  }
  const [[client]] = (await db.raw('SELECT c.reserve_salt FROM accounts a JOIN clients c ON c.id = a.client_id WHERE a.id = ?', [
    accountId,
  ])) as [{ reserve_salt: string }[]];
  if (!client) throw new WalletError('INTERNAL', `account ${accountId} has a leaf but no client`);

  // The sibling of the path's node at each level below the root; past the end of an odd level it is the padding.
  const wanted: { level: number; index: number; padding: boolean; side: 'left' | 'right' }[] = [];
  for (let level = 0, i = leaf.leaf_index, size = report.leaf_count; size > 1; level++, i >>= 1, size = Math.ceil(size / 2)) {
    const sibling = i ^ 1;
    wanted.push({ level, index: sibling, padding: sibling >= size, side: i % 2 === 0 ? 'right' : 'left' });
  }
  const stored = wanted.filter((w) => !w.padding);
  // (level, node_index) pairs as OR of equalities: the primary key (report_id, level, node_index) serves each
  const [rows] =
    stored.length === 0
      ? [[]]
      : ((await db.raw(
          `SELECT level, node_index, hash, CAST(sum AS CHAR) AS sum FROM reserve_nodes
           WHERE report_id = ? AND (${stored.map(() => '(level = ? AND node_index = ?)').join(' OR ')})`,
          [report.id, ...stored.flatMap((w) => [w.level, w.index])],
        )) as [{ level: number; node_index: number; hash: string; sum: string }[]]);
  const byLevel = new Map(rows.map((r) => [r.level, r]));
  const path = wanted.map((w): ProofStep => {
    if (w.padding) return { hash: PADDING_HASH, sum: 0n, side: w.side };
    const row = byLevel.get(w.level);
    if (!row || row.node_index !== w.index) throw new WalletError('INTERNAL', `report ${report.id} lacks node ${w.level}/${w.index}`);
    return { hash: row.hash, sum: BigInt(row.sum), side: w.side };
  });

  return {
    reportId: report.id,
    asset,
    root: report.root,
    total: BigInt(report.total),
    leafCount: report.leaf_count,
    createdAt: report.created_at,
    leafIndex: leaf.leaf_index,
    balance: BigInt(leaf.balance),
    commitment: leaf.commitment,
    salt: client.reserve_salt,
    path,
  };
}
