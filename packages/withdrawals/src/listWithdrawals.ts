import { type Knex, fromIndex, keysetPage } from '@wallet/db';
import { type ListOrder, decodeCursor, decodeListCursor, encodeCursor, encodeListCursor } from '@wallet/ids';
import { type Withdrawal, withdrawalFromRow } from './Withdrawal.js';
import { type WithdrawalRow, type WithdrawalStatus } from '@wallet/withdrawal-protocol';

/** A withdrawal as clients see it: with the confirmations of its transaction once the chain has it. */
export type WithdrawalView = Withdrawal & { readonly confirmations: number | null };

type ViewRow = WithdrawalRow & { obs_block: string | null; head: string | null };

// Correlated subqueries, one row per withdrawal: the block of its transaction the scanner saw (at most one of a
// withdrawal's transactions can be mined: they share a nonce), and the scanned head of its chain (primary key).
const select = (db: Knex, from: Knex.QueryBuilder = db('withdrawals as w')) =>
  from.select<ViewRow[]>(
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

/** Filters of a client-wide list of withdrawals (each optional). */
export type ClientWithdrawalFilter = {
  readonly accountId?: string | undefined;
  readonly asset?: string | undefined;
  readonly status?: WithdrawalStatus | undefined;
  readonly reference?: string | undefined;
  /** createdAt >= since. */
  readonly since?: Date | undefined;
  /** createdAt < until. */
  readonly until?: Date | undefined;
};

/**
 * One page of a client's withdrawals, all accounts, in (createdAt, id) order: newest first (`desc`) or oldest first
 * (`asc`), with confirmations. Each filter is one ordered index range (migration 0022; a reference is at most one row).
 * Reads the table every transrv shares today; with a database per shard this becomes a scatter-gather over the
 * shards, merged by the same order.
 * @param options.cursor the previous page's `nextCursor`, valid only with the same order
 * @throws WalletError VALIDATION_FAILED for a cursor this list did not make or made in the other order
 */
export async function listClientWithdrawals(
  db: Knex,
  clientId: string,
  options: ClientWithdrawalFilter & { order: ListOrder; limit: number; cursor?: string | undefined },
): Promise<{ withdrawals: WithdrawalView[]; nextCursor: string | null }> {
  const after = options.cursor ? decodeListCursor('wd', options.order, options.cursor) : undefined;
  const read = select(db, fromIndex(db, 'withdrawals', 'w', withdrawalIndex(options))).where('w.client_id', clientId);
  if (options.accountId !== undefined) void read.andWhere('w.account_id', options.accountId);
  if (options.asset !== undefined) void read.andWhere('w.asset', options.asset);
  if (options.status !== undefined) void read.andWhere('w.status', options.status);
  if (options.reference !== undefined) void read.andWhere('w.reference', options.reference);
  const page = await keysetPage<ViewRow>([read], {
    alias: 'w',
    order: options.order,
    limit: options.limit,
    after,
    since: options.since,
    until: options.until,
  });
  const last = page.rows[page.rows.length - 1];
  return {
    withdrawals: page.rows.map(toView),
    nextCursor: page.more && last ? encodeListCursor('wd', options.order, { createdAt: last.created_at, id: last.id }) : null,
  };
}

/**
 * The index that reads a filter's withdrawals in (created_at, id) order (migrations 0016, 0022, 0025): a reference names at
 * most one; otherwise the leading columns are the filter's equalities (0025: an account with a status). An account
 * with an asset and a status reads the account's withdrawals of the asset in order and checks the status.
 */
function withdrawalIndex(f: ClientWithdrawalFilter): string {
  if (f.reference !== undefined) return 'withdrawals_client_reference';
  if (f.accountId !== undefined) {
    if (f.asset !== undefined) return 'withdrawals_velocity_account';
    return f.status !== undefined ? 'withdrawals_account_status' : 'withdrawals_account_created';
  }
  if (f.asset !== undefined) return f.status !== undefined ? 'withdrawals_client_asset_status' : 'withdrawals_client_asset';
  return f.status !== undefined ? 'withdrawals_client_status' : 'withdrawals_client_created';
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
