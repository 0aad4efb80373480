import { type Knex, type NodeDbs, fromIndex, keysetPage, nodeDbs, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { EventType, appendEvents, depositEvent } from '@wallet/events';
import { type ListOrder, decodeCursor, decodeListCursor, encodeCursor, encodeListCursor, newId } from '@wallet/ids';
import { LedgerKind, SystemAccount } from './accounts.js';
import { applyPaymentRequestDeposit, reversePaymentRequestDeposit } from './paymentRequests.js';
import { postEntry } from './postEntry.js';

type DepositRow = {
  id: string;
  chain: string;
  asset: string;
  account_id: string;
  client_id: string | null;
  address: string;
  txid: string | null;
  output_index: number;
  internal: number | boolean;
  amount: string;
  block_number: string;
  block_hash: string;
  node_id: string;
  status: string;
  created_at: Date;
};

/** The client's event of a deposit moved to `status` in `trx` (rows from before client ids were recorded have none). */
async function appendDepositEvent(trx: Knex.Transaction, type: EventType, d: DepositRow, status: string): Promise<void> {
  if (d.client_id !== null) await appendEvents(trx, [depositEvent(type, { ...d, client_id: d.client_id, status })]);
}

export type DepositCreditResult = { readonly credited: number; readonly reversed: number; readonly shortfalls: number };

/** One deposit a settlement pass moved, for the log line that names it (ids, txid, amount). */
export type SettledDeposit = {
  readonly outcome: 'credited' | 'reversed' | 'shortfall';
  readonly depositId: string;
  readonly accountId: string;
  readonly asset: string;
  readonly chain: string;
  readonly txid: string | null;
  readonly amount: string;
};

/**
 * Credits this node's pending deposits that reached their asset's confirmations, and reverses its
 * credited deposits whose block left the chain. Each deposit is one MySQL transaction that locks the
 * deposit row and (with a locking read) its block row, re-checks that the block hash is still the
 * canonical one the scanner recorded, then posts the journal entry and the new status together: a deposit
 * is credited exactly once, and never from a block the scanner has since dropped.
 *
 * @param dbs the node's databases: the scanned heads from the global database, the credit on its shard's pool (the
 *   credit's transaction still locks the global block row: a census group of docs/sharding.md)
 * @param confirmationsOf confirmations required for an asset (from the registry)
 */
export async function settleDeposits(
  dbs: Knex | NodeDbs,
  nodeId: string,
  confirmationsOf: (asset: string) => number,
  options: { readonly limit?: number; readonly onSettled?: (deposit: SettledDeposit) => void } = {},
): Promise<DepositCreditResult> {
  const { global, shard: db } = nodeDbs(dbs);
  const limit = options.limit ?? 500;
  const settled = (outcome: SettledDeposit['outcome'], d: DepositRow): void =>
    options.onSettled?.({
      outcome,
      depositId: d.id,
      accountId: d.account_id,
      asset: d.asset,
      chain: d.chain,
      txid: d.txid,
      amount: d.amount,
    });
  const heads = await scannedHeads(global);
  const pending = await db<DepositRow>('deposits').where({ node_id: nodeId, status: 'pending' }).orderBy('block_number').limit(limit);
  let credited = 0;
  for (const d of pending) {
    const head = heads.get(d.chain);
    if (head === undefined || Number(head) - Number(d.block_number) + 1 < confirmationsOf(d.asset)) continue;
    if (await creditOne(db, nodeId, d.id)) {
      credited++;
      settled('credited', d);
    }
  }
  let reversed = 0;
  let shortfalls = 0;
  const toReverse = await db<DepositRow>('deposits').where({ node_id: nodeId, status: 'reversal_pending' }).limit(limit);
  for (const d of toReverse) {
    const outcome = await reverseOne(db, nodeId, d.id);
    if (outcome !== 'skipped') {
      reversed++;
      settled(outcome, d);
    }
    if (outcome === 'shortfall') shortfalls++;
  }
  return { credited, reversed, shortfalls };
}

/**
 * Whether the deposit's block is still on the chain the scanner follows. The scanner keeps only its most
 * recent blocks; a block below that horizon is deeper than any reorg it can handle (a deeper one stops it
 * for an operator), so it is final. Locking reads, so a concurrent rewind waits for this transaction.
 */
async function isCanonical(trx: Knex.Transaction, chain: string, number: number, hash: string): Promise<boolean> {
  const [rows] = (await trx.raw('SELECT hash FROM chain_blocks WHERE chain = ? AND number = ? LOCK IN SHARE MODE', [chain, number])) as [
    { hash: string }[],
  ];
  if (rows[0]) return rows[0].hash === hash;
  const [[oldest]] = (await trx.raw('SELECT MIN(number) AS n FROM chain_blocks WHERE chain = ? LOCK IN SHARE MODE', [chain])) as [
    [{ n: string | null }],
  ];
  return oldest.n !== null && number < Number(oldest.n);
}

async function creditOne(db: Knex, nodeId: string, depositId: string): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    const d = await trx<DepositRow>('deposits').where({ id: depositId }).forUpdate().first();
    if (!d || d.status !== 'pending') return false;
    if (!(await isCanonical(trx, d.chain, Number(d.block_number), d.block_hash))) return false; // the scanner will orphan it
    const amount = BigInt(d.amount);
    await postEntry(trx, {
      entryId: `${d.id}:c:${d.block_hash.slice(2, 12)}`,
      nodeId,
      refId: d.id,
      lines: [
        { accountId: SystemAccount.chainInflow(d.chain), asset: d.asset, bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
        { accountId: d.account_id, asset: d.asset, bucket: 'available', amount, kind: LedgerKind.deposit },
      ],
    });
    await trx('deposits')
      .where({ id: d.id })
      .update({ status: 'credited', credited_at: trx.raw('CURRENT_TIMESTAMP(3)'), updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    await appendDepositEvent(trx, EventType.depositCredited, d, 'credited');
    await applyPaymentRequestDeposit(trx, d);
    return true;
  });
}

/**
 * Posts the reversing entry of a deposit whose block was dropped after it was credited. If the user has
 * already moved part of the money, only what is available is taken back and the rest is booked to the
 * chain's shortfall account for operators (balances never go negative; the books still balance).
 */
async function reverseOne(db: Knex, nodeId: string, depositId: string): Promise<'reversed' | 'shortfall' | 'skipped'> {
  return withTransaction(db, async (trx) => {
    const d = await trx<DepositRow>('deposits').where({ id: depositId }).forUpdate().first();
    if (!d || d.status !== 'reversal_pending') return 'skipped';
    const amount = BigInt(d.amount);
    const [rows] = (await trx.raw(
      'SELECT CAST(available AS CHAR) AS available FROM balances WHERE account_id = ? AND asset = ? FOR UPDATE',
      [d.account_id, d.asset],
    )) as [{ available: string }[]];
    const available = BigInt(rows[0]?.available ?? '0');
    const taken = available < amount ? available : amount;
    const lines = [
      {
        accountId: SystemAccount.chainInflow(d.chain),
        asset: d.asset,
        bucket: 'available' as const,
        amount,
        kind: LedgerKind.depositReversal,
      },
    ];
    if (taken > 0n)
      lines.push({ accountId: d.account_id, asset: d.asset, bucket: 'available', amount: -taken, kind: LedgerKind.depositReversal });
    if (taken < amount) {
      lines.push({
        accountId: `sys:chain:${d.chain}:reorg_shortfall`,
        asset: d.asset,
        bucket: 'available',
        amount: taken - amount,
        kind: LedgerKind.depositReversal,
      });
    }
    try {
      await postEntry(trx, { entryId: `${d.id}:r:${d.block_hash.slice(2, 12)}`, nodeId, refId: d.id, lines });
    } catch (error) {
      if (isWalletError(error, 'INSUFFICIENT_FUNDS')) return 'skipped'; // raced with a spend; next pass retries
      throw error;
    }
    // Mined again on the new branch before this reversal ran, the scanner recorded its new block on the row: the
    // deposit is pending again there (credited once more at its confirmations), not reversed for good.
    const again = await isCanonical(trx, d.chain, Number(d.block_number), d.block_hash);
    await trx('deposits')
      .where({ id: d.id })
      .update({ status: again ? 'pending' : 'reversed', updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    await appendDepositEvent(trx, EventType.depositReversed, d, 'reversed');
    await reversePaymentRequestDeposit(trx, d.id);
    return taken < amount ? 'shortfall' : 'reversed';
  });
}

/**
 * Records the credit of an internal withdrawal (a withdrawal to this account's deposit address, settled inside the
 * wallet) as the receiving account's deposit, inside the caller's transaction, which also posts the credit: `credited`
 * at once, `internal`, with no transaction and no block (txid, block number and hash NULL, so no reorg ever touches
 * it; output index 0). At most one per withdrawal (a unique key): a second attempt fails the caller's transaction.
 * @returns the deposit's id (the credit's journal lines refer to it)
 */
export async function recordInternalDeposit(
  trx: Knex.Transaction,
  d: {
    readonly withdrawalId: string;
    readonly chain: string;
    readonly address: string;
    readonly accountId: string;
    readonly nodeId: string;
    readonly asset: string;
    readonly amount: bigint;
  },
): Promise<string> {
  const id = newId('dep');
  await trx('deposits').insert({
    id,
    chain: d.chain,
    txid: null,
    output_index: 0,
    asset: d.asset,
    address: d.address,
    account_id: d.accountId,
    // The receiving account's client (maybe another than the withdrawer's), as the scanner records it.
    client_id: trx.raw('(SELECT client_id FROM accounts WHERE id = ?)', [d.accountId]),
    node_id: d.nodeId,
    amount: d.amount.toString(),
    block_number: null,
    block_hash: null,
    status: 'credited',
    internal: true,
    withdrawal_id: d.withdrawalId,
    credited_at: trx.raw('CURRENT_TIMESTAMP(3)'),
  });
  const row = await trx<DepositRow>('deposits').where({ id }).first();
  await appendDepositEvent(trx, EventType.depositCredited, row!, 'credited');
  // Paid from inside the wallet (a withdrawal to a payment request's address): it counts like a deposit from outside.
  await applyPaymentRequestDeposit(trx, row!);
  return id;
}

export type DepositView = {
  readonly id: string;
  readonly asset: string;
  readonly chain: string;
  readonly address: string;
  /** null for an internal deposit (no chain transaction). */
  readonly txid: string | null;
  readonly outputIndex: number;
  readonly amount: bigint;
  /** null for an internal deposit. */
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
  /** 0 for an internal deposit (it has no block; it is final once credited). */
  readonly confirmations: number;
  /** Credited by a withdrawal of this wallet to this deposit address, settled in the ledger: nothing on chain. */
  readonly internal: boolean;
  /** As clients see it: a reversal that is decided but not yet posted still shows as credited. */
  readonly status: 'pending' | 'credited' | 'orphaned' | 'reversed';
  readonly createdAt: Date;
  readonly creditedAt: Date | null;
};

type DepositViewRow = {
  id: string;
  asset: string;
  chain: string;
  address: string;
  txid: string | null;
  output_index: number;
  amount: string;
  block_number: string | null;
  block_hash: string | null;
  status: string;
  internal: number;
  created_at: Date;
  credited_at: Date | null;
};

const VIEW_COLUMNS = [
  'd.id',
  'd.asset',
  'd.chain',
  'd.address',
  'd.txid',
  'd.output_index',
  'd.amount',
  'd.block_number',
  'd.block_hash',
  'd.status',
  'd.internal',
  'd.created_at',
  'd.credited_at',
] as const;

/** A deposit as clients see it, its confirmations counted to `head` (the chain's scanned head; null: none yet). */
function depositView(r: DepositViewRow, head: string | number | null | undefined): DepositView {
  const status = r.status === 'reversal_pending' ? 'credited' : (r.status as DepositView['status']);
  const live = status === 'pending' || status === 'credited';
  return {
    id: r.id,
    asset: r.asset,
    chain: r.chain,
    address: r.address,
    txid: r.txid,
    outputIndex: r.output_index,
    amount: BigInt(r.amount),
    blockNumber: r.block_number === null ? null : Number(r.block_number),
    blockHash: r.block_hash,
    confirmations:
      live && head !== null && head !== undefined && r.block_number !== null ? Math.max(0, Number(head) - Number(r.block_number) + 1) : 0,
    internal: Boolean(r.internal),
    status,
    createdAt: r.created_at,
    creditedAt: r.credited_at,
  };
}

/** One page of an account's deposits, newest first, with confirmations counted to the scanned head. */
export async function listDeposits(
  db: Knex,
  accountId: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ deposits: DepositView[]; nextCursor: string | null }> {
  const query = db('deposits as d')
    .leftJoin(db.raw('(SELECT chain, MAX(number) AS head FROM chain_blocks GROUP BY chain) AS h'), 'h.chain', 'd.chain')
    .where('d.account_id', accountId)
    // Deposit ids are ULIDs: id order is creation order, and the cursor is an id.
    .orderBy('d.id', 'desc')
    .limit(options.limit + 1)
    .select<(DepositViewRow & { head: string | null })[]>(...VIEW_COLUMNS, 'h.head');
  if (options.cursor) void query.andWhere('d.id', '<', decodeCursor(options.cursor, /^dep_[0-9A-Z]{26}$/));
  const rows = await query;
  const page = rows.slice(0, options.limit);
  return {
    deposits: page.map((r) => depositView(r, r.head)),
    nextCursor: rows.length > options.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/** Filters of a client-wide list of deposits (each optional). */
export type ClientDepositFilter = {
  readonly accountId?: string | undefined;
  readonly asset?: string | undefined;
  /** As clients see it: `credited` includes a reversal decided but not yet posted. */
  readonly status?: DepositView['status'] | undefined;
  /** createdAt >= since. */
  readonly since?: Date | undefined;
  /** createdAt < until. */
  readonly until?: Date | undefined;
};

/**
 * One page of a client's deposits, all accounts, in (createdAt, id) order: newest first (`desc`) or oldest first
 * (`asc`), with confirmations counted to the scanned head. Each filter is one ordered index range (migration 0022).
 * Reads the table every transrv shares today; with a database per shard this becomes a scatter-gather over the
 * shards, merged by the same order.
 * @param dbs the node's databases: deposits from its shard, the scanned heads from the global database
 * @param options.cursor the previous page's `nextCursor`, valid only with the same order
 * @throws WalletError VALIDATION_FAILED for a cursor this list did not make or made in the other order
 */
export async function listClientDeposits(
  dbs: Knex | NodeDbs,
  clientId: string,
  options: ClientDepositFilter & { order: ListOrder; limit: number; cursor?: string | undefined },
): Promise<{ deposits: DepositView[]; nextCursor: string | null }> {
  const { global, shard: db } = nodeDbs(dbs);
  const after = options.cursor ? decodeListCursor('dep', options.order, options.cursor) : undefined;
  // The status a client filters by is one stored status, or two for `credited`: two ordered reads, merged.
  const stored = options.status === 'credited' ? ['credited', 'reversal_pending'] : options.status ? [options.status] : [undefined];
  const index = depositIndex(options);
  const reads = stored.map((status) => {
    const read = fromIndex(db, 'deposits', 'd', index)
      .select(...VIEW_COLUMNS)
      .where('d.client_id', clientId);
    if (options.accountId !== undefined) void read.andWhere('d.account_id', options.accountId);
    if (options.asset !== undefined) void read.andWhere('d.asset', options.asset);
    if (status !== undefined) void read.andWhere('d.status', status);
    return read;
  });
  const [page, heads] = await Promise.all([
    keysetPage<DepositViewRow>(reads, {
      alias: 'd',
      order: options.order,
      limit: options.limit,
      after,
      since: options.since,
      until: options.until,
    }),
    scannedHeads(global),
  ]);
  const last = page.rows[page.rows.length - 1];
  return {
    deposits: page.rows.map((r) => depositView(r, heads.get(r.chain))),
    nextCursor: page.more && last ? encodeListCursor('dep', options.order, { createdAt: last.created_at, id: last.id }) : null,
  };
}

/**
 * The index that reads a filter's deposits in (created_at, id) order (migrations 0021, 0022, 0025): its leading columns are
 * the filter's equalities (0025: an account with a status). An account with an asset and a status reads the account's
 * deposits of the asset in order and checks the status.
 */
function depositIndex(f: ClientDepositFilter): string {
  if (f.accountId !== undefined) {
    if (f.asset !== undefined) return 'deposits_account_recent';
    return f.status !== undefined ? 'deposits_account_status' : 'deposits_account_created';
  }
  if (f.asset !== undefined) return f.status !== undefined ? 'deposits_client_asset_status' : 'deposits_client_asset';
  return f.status !== undefined ? 'deposits_client_status' : 'deposits_client_created';
}

/** The highest block the scanner recorded, per chain (the primary key's last entry of each chain). */
async function scannedHeads(db: Knex): Promise<Map<string, string>> {
  const [rows] = (await db.raw('SELECT chain, MAX(number) AS head FROM chain_blocks GROUP BY chain')) as [
    { chain: string; head: string }[],
  ];
  return new Map(rows.map((r) => [r.chain, r.head]));
}
