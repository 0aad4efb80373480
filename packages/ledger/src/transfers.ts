import { MAX_DECIMAL65 } from '@wallet/assets';
import { type Knex, fromIndex, isDuplicateKey, keysetPage, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { appendEvents, transferCompletedEvent } from '@wallet/events';
import { type ListOrder, decodeListCursor, encodeListCursor, newId } from '@wallet/ids';
import { metadataFromColumn, metadataToColumn, refuseDuplicateReference } from './references.js';
import { LedgerKind, SystemAccount } from './accounts.js';
import { recordInternalDeposit } from './deposits.js';
import { postEntry } from './postEntry.js';

export const TransferStatus = { pendingCredit: 'pending_credit', completed: 'completed' } as const;
export type TransferStatus = (typeof TransferStatus)[keyof typeof TransferStatus];

export type Transfer = {
  readonly id: string;
  readonly clientId: string;
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly fromNodeId: string;
  readonly toNodeId: string;
  readonly asset: string;
  readonly amount: bigint;
  readonly status: TransferStatus;
  /** The internal withdrawal whose credit this transfer carries to another node (null: a client's transfer). */
  readonly withdrawalId: string | null;
  /** The client's own reference (unique per client among its transfers); null: none. */
  readonly reference: string | null;
  /** The client's metadata; `{}`: none. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
};

export type TransferRequest = {
  readonly clientId: string;
  readonly idempotencyKey: string;
  /** Hash of the canonical request: the same key with another request is refused. */
  readonly requestHash: string;
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly toNodeId: string;
  readonly asset: string;
  readonly amount: bigint;
  /** Unique per client among its transfers: another transfer with it is DUPLICATE_REFERENCE. */
  readonly reference?: string | undefined;
  /** Already checked against the bounds (ClientMetadata); `{}` or absent: none. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
};

type TransferRow = {
  id: string;
  client_id: string;
  idempotency_key: string;
  request_hash: string;
  from_account_id: string;
  to_account_id: string;
  from_node_id: string;
  to_node_id: string;
  asset: string;
  amount: string;
  status: TransferStatus;
  withdrawal_id: string | null;
  reference: string | null;
  metadata: string | null;
  created_at: Date;
  completed_at: Date | null;
};

function fromRow(row: TransferRow): Transfer {
  return {
    id: row.id,
    clientId: row.client_id,
    fromAccountId: row.from_account_id,
    toAccountId: row.to_account_id,
    fromNodeId: row.from_node_id,
    toNodeId: row.to_node_id,
    asset: row.asset,
    amount: BigInt(row.amount),
    status: row.status,
    withdrawalId: row.withdrawal_id ?? null,
    reference: row.reference ?? null,
    metadata: metadataFromColumn(row.metadata ?? null),
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

/**
 * Debits the sender and records the transfer, on the sender's node, in one MySQL transaction. When both
 * accounts live on this node the credit is posted in the same transaction (completed at once);
 * otherwise the value moves to the transit account and the transfer waits (pending_credit) for
 * {@link creditTransfer} on the other node, delivered by the TransferRelay.
 *
 * Idempotent on (clientId, idempotencyKey), enforced by a unique key in MySQL, so even a gateway that
 * lost its idempotency cache cannot create a second transfer. The client's reference is unique per client by another
 * unique key, checked by the same INSERT: of two requests with one reference exactly one debits, and the other is
 * DUPLICATE_REFERENCE with nothing moved (a retry with the first one's key still gets the first one's transfer).
 *
 * @returns the transfer, and whether this call created it
 * @throws WalletError INSUFFICIENT_FUNDS, IDEMPOTENCY_KEY_REUSED, DUPLICATE_REFERENCE
 */
export async function createTransfer(db: Knex, nodeId: string, req: TransferRequest): Promise<{ transfer: Transfer; created: boolean }> {
  if (req.amount <= 0n) throw new WalletError('VALIDATION_FAILED', 'amount must be positive');
  if (req.fromAccountId === req.toAccountId) throw new WalletError('VALIDATION_FAILED', 'cannot transfer to the same account');
  // No balance can exceed DECIMAL(65,0), so a larger amount cannot be covered (and cannot be stored).
  if (req.amount > MAX_DECIMAL65) throw new WalletError('INSUFFICIENT_FUNDS', `insufficient available ${req.asset}`);
  const replay = async (): Promise<{ transfer: Transfer; created: boolean } | undefined> => {
    const row = await db<TransferRow>('transfers').where({ client_id: req.clientId, idempotency_key: req.idempotencyKey }).first();
    if (!row) return undefined;
    if (row.request_hash !== req.requestHash) {
      throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
    }
    return { transfer: fromRow(row), created: false };
  };

  // No read before the transaction: the unique key decides, and a retry lands in the catch below.
  try {
    return await withTransaction(db, async (trx) => {
      const id = newId('tr');
      const sameNode = req.toNodeId === nodeId;
      const now = new Date();
      await trx('transfers').insert({
        id,
        client_id: req.clientId,
        idempotency_key: req.idempotencyKey,
        request_hash: req.requestHash,
        from_account_id: req.fromAccountId,
        to_account_id: req.toAccountId,
        from_node_id: nodeId,
        to_node_id: req.toNodeId,
        asset: req.asset,
        amount: req.amount.toString(),
        status: sameNode ? TransferStatus.completed : TransferStatus.pendingCredit,
        reference: req.reference ?? null,
        metadata: metadataToColumn(req.metadata),
        created_at: now,
        completed_at: sameNode ? now : null,
      });
      const creditAccount = sameNode ? req.toAccountId : SystemAccount.transit;
      await postEntry(trx, {
        entryId: id,
        nodeId,
        refId: id,
        lines: [
          { accountId: req.fromAccountId, asset: req.asset, bucket: 'available', amount: -req.amount, kind: LedgerKind.transferOut },
          {
            accountId: creditAccount,
            asset: req.asset,
            bucket: 'available',
            amount: req.amount,
            kind: sameNode ? LedgerKind.transferIn : LedgerKind.transferOut,
          },
        ],
      });
      if (sameNode) {
        await appendEvents(trx, [
          transferCompletedEvent({
            id,
            nodeId,
            clientId: req.clientId,
            fromAccountId: req.fromAccountId,
            toAccountId: req.toAccountId,
            asset: req.asset,
            amount: req.amount,
            reference: req.reference ?? null,
          }),
        ]);
      }
      const transfer: Transfer = {
        id,
        clientId: req.clientId,
        fromAccountId: req.fromAccountId,
        toAccountId: req.toAccountId,
        fromNodeId: nodeId,
        toNodeId: req.toNodeId,
        asset: req.asset,
        amount: req.amount,
        status: sameNode ? TransferStatus.completed : TransferStatus.pendingCredit,
        withdrawalId: null,
        reference: req.reference ?? null,
        metadata: metadataFromColumn(metadataToColumn(req.metadata)),
        createdAt: now,
        completedAt: sameNode ? now : null,
      };
      return { transfer, created: true };
    });
  } catch (error) {
    // A concurrent request with the same key committed first: answer with its transfer. Otherwise the reference
    // was taken (the only other unique key a client's transfer can meet).
    if (isDuplicateKey(error)) {
      const winner = await replay();
      if (winner) return winner;
      if (req.reference !== undefined) await refuseDuplicateReference(db, 'transfers', req.clientId, req.reference);
    }
    throw error;
  }
}

export type CreditRequest = {
  readonly transferId: string;
  readonly fromNodeId: string;
  readonly toAccountId: string;
  readonly asset: string;
  readonly amount: bigint;
  /**
   * The transfer carries an internal withdrawal's credit: the receiver sees it as a deposit (internal, no transaction)
   * to the address the withdrawal was sent to. The caller has checked the withdrawal behind it.
   */
  readonly deposit?: { readonly withdrawalId: string; readonly chain: string; readonly address: string } | undefined;
};

/**
 * The debit leg of an internal withdrawal whose credited account lives on another node, inside the caller's
 * transaction on the withdrawal's node: records the transfer (pending_credit, tied to the withdrawal: at most one per
 * withdrawal) that the TransferRelay then delivers like any cross-node transfer; the caller posts the value into the
 * transit account in the same transaction.
 * @returns the transfer, for delivering it at once
 */
export async function recordInternalTransfer(
  trx: Knex.Transaction,
  nodeId: string,
  t: {
    readonly withdrawalId: string;
    readonly clientId: string;
    readonly fromAccountId: string;
    readonly toAccountId: string;
    readonly toNodeId: string;
    readonly asset: string;
    readonly amount: bigint;
  },
): Promise<Transfer> {
  const id = newId('tr');
  await trx('transfers').insert({
    id,
    client_id: t.clientId,
    // A space is outside every client's Idempotency-Key (printable ASCII without space): never a client's key.
    idempotency_key: `withdrawal ${t.withdrawalId}`,
    request_hash: t.withdrawalId.padEnd(64, '0').slice(0, 64),
    from_account_id: t.fromAccountId,
    to_account_id: t.toAccountId,
    from_node_id: nodeId,
    to_node_id: t.toNodeId,
    asset: t.asset,
    amount: t.amount.toString(),
    status: TransferStatus.pendingCredit,
    withdrawal_id: t.withdrawalId,
  });
  const row = await trx<TransferRow>('transfers').where({ id }).first();
  return fromRow(row!);
}

/**
 * The credit leg of a cross-node transfer, on the receiver's node: moves the value from transit to the
 * receiver. Exactly once per transfer id (primary key of transfer_credits, written in the same
 * transaction as the journal lines), so the sender may deliver as often as it likes.
 * @returns whether an earlier delivery had already credited it
 */
export async function creditTransfer(db: Knex, nodeId: string, req: CreditRequest): Promise<{ alreadyCredited: boolean }> {
  if (req.amount <= 0n || req.amount > MAX_DECIMAL65) throw new WalletError('VALIDATION_FAILED', 'amount out of range');
  try {
    return await withTransaction(db, async (trx) => {
      await trx('transfer_credits').insert({
        transfer_id: req.transferId,
        to_node_id: nodeId,
        from_node_id: req.fromNodeId,
        to_account_id: req.toAccountId,
        asset: req.asset,
        amount: req.amount.toString(),
      });
      // An internal withdrawal's credit is the receiver's deposit: its ledger lines refer to the deposit.
      const depositId =
        req.deposit === undefined
          ? null
          : await recordInternalDeposit(trx, {
              ...req.deposit,
              nodeId,
              accountId: req.toAccountId,
              asset: req.asset,
              amount: req.amount,
            });
      const kind = depositId === null ? LedgerKind.transferIn : LedgerKind.deposit;
      await postEntry(trx, {
        entryId: `${req.transferId}:credit`,
        nodeId,
        refId: depositId ?? req.transferId,
        lines: [
          { accountId: SystemAccount.transit, asset: req.asset, bucket: 'available', amount: -req.amount, kind },
          { accountId: req.toAccountId, asset: req.asset, bucket: 'available', amount: req.amount, kind },
        ],
      });
      return { alreadyCredited: false };
    });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const row = await db('transfer_credits')
      .where({ transfer_id: req.transferId })
      .first<{ to_account_id: string; asset: string; amount: string }>();
    if (!row || row.to_account_id !== req.toAccountId || row.asset !== req.asset || BigInt(row.amount) !== req.amount) {
      throw new WalletError('CONFLICT', 'a different credit was already recorded for this transfer', {
        details: { transferId: req.transferId },
      });
    }
    return { alreadyCredited: true };
  }
}

/**
 * Marks a cross-node transfer completed once the other node acknowledged its credit, with the client's
 * `transfer.completed` (a client's transfer only: an internal withdrawal's credit is told by the withdrawal's events).
 */
export async function completeTransfer(db: Knex, transferId: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    const moved = await trx('transfers')
      .where({ id: transferId, status: TransferStatus.pendingCredit })
      .update({ status: TransferStatus.completed, completed_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    if (moved === 0) return;
    const row = await trx<TransferRow>('transfers').where({ id: transferId }).first();
    if (!row || row.withdrawal_id !== null) return;
    await appendEvents(trx, [
      transferCompletedEvent({
        id: row.id,
        clientId: row.client_id,
        nodeId: row.from_node_id,
        fromAccountId: row.from_account_id,
        toAccountId: row.to_account_id,
        asset: row.asset,
        amount: row.amount,
        reference: row.reference,
      }),
    ]);
  });
}

/** Records a failed delivery attempt (for operators; the relay keeps trying). */
export async function recordDeliveryFailure(db: Knex, transferId: string, reason: string): Promise<void> {
  await db('transfers')
    .where({ id: transferId })
    .update({ delivery_attempts: db.raw('delivery_attempts + 1'), last_error: reason.slice(0, 200) });
}

/** Cross-node transfers of this node still waiting for their credit, oldest first. */
export async function pendingTransfers(db: Knex, nodeId: string, limit = 100): Promise<Transfer[]> {
  const rows = await db<TransferRow>('transfers')
    .where({ from_node_id: nodeId, status: TransferStatus.pendingCredit })
    .orderBy('created_at')
    .limit(limit);
  return rows.map(fromRow);
}

/** A transfer by id, if this node owns it. */
export async function getTransfer(db: Knex, transferId: string): Promise<Transfer | undefined> {
  const row = await db<TransferRow>('transfers').where({ id: transferId }).first();
  return row ? fromRow(row) : undefined;
}

/** The index of a client's transfers (no account, no reference) whose leading columns are the filter's equalities. */
function clientTransferIndex(f: ClientTransferFilter): string {
  if (f.asset !== undefined) return f.status !== undefined ? 'transfers_client_asset_status' : 'transfers_client_asset';
  return f.status !== undefined ? 'transfers_client_status' : 'transfers_client_created';
}

/** A transfer of this client by id, on any node (the table is shared). @returns undefined for none, another client's, or an internal withdrawal's */
export async function getClientTransfer(db: Knex, clientId: string, transferId: string): Promise<Transfer | undefined> {
  const row = await db<TransferRow>('transfers').where({ id: transferId, client_id: clientId }).whereNull('withdrawal_id').first();
  return row ? fromRow(row) : undefined;
}

/** Filters of a client-wide list of transfers (each optional). */
export type ClientTransferFilter = {
  /** Transfers from or to this account. */
  readonly accountId?: string | undefined;
  readonly asset?: string | undefined;
  readonly status?: TransferStatus | undefined;
  readonly reference?: string | undefined;
  /** createdAt >= since. */
  readonly since?: Date | undefined;
  /** createdAt < until. */
  readonly until?: Date | undefined;
};

/**
 * One page of a client's transfers in (createdAt, id) order, newest first (`desc`) or oldest first (`asc`). The
 * transfers that carry an internal withdrawal's credit to another node are not the client's transfers (the withdrawal
 * is) and are left out. An account's transfers are two ordered reads (it sent them; it received them), merged.
 * Reads the table every transrv shares today; with a database per shard this becomes a scatter-gather.
 * @param options.cursor the previous page's `nextCursor`, valid only with the same order
 * @throws WalletError VALIDATION_FAILED for a cursor this list did not make or made in the other order
 */
export async function listClientTransfers(
  db: Knex,
  clientId: string,
  options: ClientTransferFilter & { order: ListOrder; limit: number; cursor?: string | undefined },
): Promise<{ transfers: Transfer[]; nextCursor: string | null }> {
  const after = options.cursor ? decodeListCursor('tr', options.order, options.cursor) : undefined;
  const read = (index: string, side?: (q: Knex.QueryBuilder) => void) => {
    const q = fromIndex(db, 'transfers', 't', index).select('t.*').where('t.client_id', clientId).whereNull('t.withdrawal_id');
    side?.(q);
    if (options.asset !== undefined) void q.andWhere('t.asset', options.asset);
    if (options.status !== undefined) void q.andWhere('t.status', options.status);
    if (options.reference !== undefined) void q.andWhere('t.reference', options.reference);
    return q;
  };
  const account = options.accountId;
  // Each read by the index whose leading columns are its equalities (migration 0022), the other filters checked in
  // order: a reference names at most one transfer; an account is two reads, one per side.
  const reads =
    options.reference !== undefined
      ? [
          read('transfers_client_reference', (q) => {
            if (account === undefined) return;
            void q.andWhere((w) => {
              void w.where('t.from_account_id', account).orWhere('t.to_account_id', account);
            });
          }),
        ]
      : account !== undefined
        ? [
            read('transfers_from_created', (q) => void q.andWhere('t.from_account_id', account)),
            read('transfers_to_created', (q) => void q.andWhere('t.to_account_id', account).andWhere('t.from_account_id', '<>', account)),
          ]
        : [read(clientTransferIndex(options))];
  const page = await keysetPage<TransferRow>(reads, {
    alias: 't',
    order: options.order,
    limit: options.limit,
    after,
    since: options.since,
    until: options.until,
  });
  const last = page.rows[page.rows.length - 1];
  return {
    transfers: page.rows.map(fromRow),
    nextCursor: page.more && last ? encodeListCursor('tr', options.order, { createdAt: last.created_at, id: last.id }) : null,
  };
}
