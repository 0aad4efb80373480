import type { Knex } from '@wallet/db';
import { decodeCursor, encodeCursor } from '@wallet/ids';
import { type Withdrawal, withdrawalFromRow } from './Withdrawal.js';
import { type WithdrawalRow } from '@wallet/withdrawal-protocol';

/** A withdrawal as clients see it: with the confirmations of its transaction once the chain has it. */
export type WithdrawalView = Withdrawal & { readonly confirmations: number | null };

type ViewRow = WithdrawalRow & { obs_block: string | null; head: string | null };

// Correlated subqueries, one row per withdrawal: the block of its transaction the scanner saw (at most one of a
// withdrawal's transactions can be mined: they share a nonce), and the scanned head of its chain (primary key).
const select = (db: Knex) =>
  db('withdrawals as w').select<ViewRow[]>(
    'w.*',
    db.raw(
      '(SELECT MAX(o.block_number) FROM withdrawal_txs t JOIN withdrawal_observations o ON o.chain = t.chain AND o.txid = t.txid WHERE t.withdrawal_id = w.id AND o.dropped = 0) AS obs_block',
    ),
    db.raw('(SELECT MAX(b.number) FROM chain_blocks b WHERE b.chain = w.chain) AS head'),
  );

function toView(r: ViewRow): WithdrawalView {
  const w = withdrawalFromRow(r);
  const block = w.blockNumber ?? (r.obs_block === null ? null : Number(r.obs_block));
  const confirmations = block !== null && r.head !== null ? Math.max(0, Number(r.head) - block + 1) : null;
  return { ...w, confirmations };
}

/** One withdrawal with its confirmations. @returns undefined when there is none with this id */
export async function getWithdrawal(db: Knex, withdrawalId: string): Promise<WithdrawalView | undefined> {
  const rows = await select(db).where('w.id', withdrawalId).limit(1);
  return rows[0] ? toView(rows[0]) : undefined;
}

/** One page of an account's withdrawals, newest first (ids are ULIDs: id order is creation order). */
export async function listWithdrawals(
  db: Knex,
  accountId: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ withdrawals: WithdrawalView[]; nextCursor: string | null }> {
  const query = select(db)
    .where('w.account_id', accountId)
    .orderBy('w.id', 'desc')
    .limit(options.limit + 1);
  if (options.cursor) void query.andWhere('w.id', '<', decodeCursor(options.cursor, /^wd_[0-9A-Z]{26}$/));
  const rows = await query;
  const page = rows.slice(0, options.limit);
  return {
    withdrawals: page.map(toView),
    nextCursor: rows.length > options.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/** The audit trail of a withdrawal, oldest first. */
export async function withdrawalEvents(
  db: Knex,
  withdrawalId: string,
): Promise<{ from: string | null; to: string; actor: string; reason: string | null; txid: string | null; at: Date }[]> {
  const rows = await db('withdrawal_events')
    .where({ withdrawal_id: withdrawalId })
    .orderBy('id')
    .select<
      { from_status: string | null; to_status: string; actor: string; reason: string | null; txid: string | null; created_at: Date }[]
    >('from_status', 'to_status', 'actor', 'reason', 'txid', 'created_at');
  return rows.map((r) => ({ from: r.from_status, to: r.to_status, actor: r.actor, reason: r.reason, txid: r.txid, at: r.created_at }));
}
