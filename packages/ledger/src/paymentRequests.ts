import { type Knex, type NodeDbs, isDuplicateKey, nodeDbs, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { EventType, appendEvents, paymentRequestEvent } from '@wallet/events';
import { decodeCursor, encodeCursor, newId } from '@wallet/ids';
import { metadataFromColumn, metadataToColumn } from './references.js';

// Payment requests (issue 17): an account asks to be paid an amount of an asset on a fresh address of its own, until
// a deadline. The deposits on that address are credited to the account like any deposit; in the same transaction as
// each credit, the request it belongs to counts it (settleDeposits calls applyPaymentRequestDeposit), so a payment the
// scanner finds after a restart is applied by the same path, once (the payment row's primary key is the deposit id).

export const PaymentRequestStatus = {
  pending: 'pending',
  partiallyPaid: 'partially_paid',
  paid: 'paid',
  overpaid: 'overpaid',
  expired: 'expired',
} as const;
export type PaymentRequestStatus = (typeof PaymentRequestStatus)[keyof typeof PaymentRequestStatus];

export type PaymentRequest = {
  readonly id: string;
  readonly clientId: string;
  readonly accountId: string;
  readonly nodeId: string;
  readonly asset: string;
  readonly chain: string;
  readonly address: string;
  readonly amount: bigint;
  /** The credited deposits the scanner saw on the address before the deadline. */
  readonly received: bigint;
  /** The credited deposits it saw after the deadline (credited to the account all the same). */
  readonly lateReceived: bigint;
  readonly status: PaymentRequestStatus;
  readonly latePayment: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
  readonly paidAt: Date | null;
  readonly expiredAt: Date | null;
  readonly createdAt: Date;
};

type Row = {
  id: string;
  client_id: string;
  idempotency_key: string;
  request_hash: string;
  account_id: string;
  node_id: string;
  asset: string;
  chain: string;
  address: string;
  match_address: string;
  amount: string;
  received: string;
  late_received: string;
  status: PaymentRequestStatus;
  late_payment: number | boolean;
  metadata: string | null;
  expires_at: Date;
  paid_at: Date | null;
  expired_at: Date | null;
  created_at: Date;
};

function fromRow(r: Row): PaymentRequest {
  return {
    id: r.id,
    clientId: r.client_id,
    accountId: r.account_id,
    nodeId: r.node_id,
    asset: r.asset,
    chain: r.chain,
    address: r.address,
    amount: BigInt(r.amount),
    received: BigInt(r.received),
    lateReceived: BigInt(r.late_received),
    status: r.status,
    latePayment: Boolean(r.late_payment),
    metadata: metadataFromColumn(r.metadata),
    expiresAt: r.expires_at,
    paidAt: r.paid_at,
    expiredAt: r.expired_at,
    createdAt: r.created_at,
  };
}

export type NewPaymentRequest = {
  readonly clientId: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly accountId: string;
  readonly asset: string;
  readonly chain: string;
  /** A fresh deposit address of the account on the asset's chain (accountsrv derived it for this request). */
  readonly address: string;
  readonly amount: bigint;
  readonly expiresInSeconds: number;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
};

/**
 * An address in the form deposits record it, to match them: EVM hex in lower case (the scanner records what the node
 * answers; an internal deposit records the EIP-55 destination), any other address as it is (base58 keeps its case).
 */
export function matchAddress(address: string): string {
  return /^0x[0-9a-fA-F]{40}$/.test(address) ? address.toLowerCase() : address;
}

/** The status `received` of `amount` gives (before the deadline). */
function statusOf(received: bigint, amount: bigint): PaymentRequestStatus {
  if (received === 0n) return PaymentRequestStatus.pending;
  if (received < amount) return PaymentRequestStatus.partiallyPaid;
  return received === amount ? PaymentRequestStatus.paid : PaymentRequestStatus.overpaid;
}

/**
 * Records a payment request on the account's node, with its `payment_request.created` event, in one transaction.
 * Idempotent on (client, Idempotency-Key): a retry answers the first request (created false); the same key with
 * another body is IDEMPOTENCY_KEY_REUSED. An address already given to another request is refused (INTERNAL: the
 * gateway derives a fresh one per request, so this is a bug, never a client's doing).
 */
export async function createPaymentRequest(
  db: Knex,
  nodeId: string,
  req: NewPaymentRequest,
): Promise<{ paymentRequest: PaymentRequest; created: boolean }> {
  const replay = async (): Promise<{ paymentRequest: PaymentRequest; created: boolean } | undefined> => {
    const row = await db<Row>('payment_requests').where({ client_id: req.clientId, idempotency_key: req.idempotencyKey }).first();
    if (!row) return undefined;
    if (row.request_hash !== req.requestHash) {
      throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
    }
    return { paymentRequest: fromRow(row), created: false };
  };
  const first = await replay();
  if (first) return first;
  try {
    return await withTransaction(db, async (trx) => {
      const id = newId('prq');
      await trx('payment_requests').insert({
        id,
        client_id: req.clientId,
        idempotency_key: req.idempotencyKey,
        request_hash: req.requestHash,
        account_id: req.accountId,
        node_id: nodeId,
        asset: req.asset,
        chain: req.chain,
        address: req.address,
        match_address: matchAddress(req.address),
        amount: req.amount.toString(),
        status: PaymentRequestStatus.pending,
        metadata: metadataToColumn(req.metadata),
        expires_at: trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND', [req.expiresInSeconds]),
      });
      const row = (await trx<Row>('payment_requests').where({ id }).first())!;
      await appendEvents(trx, [paymentRequestEvent(EventType.paymentRequestCreated, row)]);
      return { paymentRequest: fromRow(row), created: true };
    });
  } catch (error) {
    if (isDuplicateKey(error)) {
      const winner = await replay();
      if (winner) return winner;
      throw new WalletError('INTERNAL', 'the address is already given to another payment request', { cause: error });
    }
    throw error;
  }
}

/** A client's payment request by id (another client's is as absent as one that does not exist). */
export async function getPaymentRequest(db: Knex, clientId: string, id: string): Promise<PaymentRequest> {
  const row = await db<Row>('payment_requests').where({ id }).first();
  if (!row || row.client_id !== clientId)
    throw new WalletError('NOT_FOUND', 'no such payment request', { details: { paymentRequestId: id } });
  return fromRow(row);
}

/** One page of an account's payment requests, newest first. */
export async function listPaymentRequests(
  db: Knex,
  accountId: string,
  options: { limit: number; cursor?: string | undefined },
): Promise<{ paymentRequests: PaymentRequest[]; nextCursor: string | null }> {
  const query = db<Row>('payment_requests')
    .where({ account_id: accountId })
    .orderBy('id', 'desc')
    .limit(options.limit + 1);
  if (options.cursor) void query.andWhere('id', '<', decodeCursor(options.cursor, /^prq_[0-9A-Z]{26}$/));
  const rows = await query;
  const page = rows.slice(0, options.limit);
  return {
    paymentRequests: page.map(fromRow),
    nextCursor: rows.length > options.limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/** The columns of a deposit a payment request needs. */
export type PaymentDeposit = {
  readonly id: string;
  readonly chain: string;
  readonly asset: string;
  readonly address: string;
  readonly amount: string | bigint;
  /** When the scanner recorded it: in time when at or before the request's deadline. */
  readonly created_at: Date;
};

/**
 * Counts a deposit just credited (inside its crediting transaction) for the payment request on its address, if any
 * and of the same asset: seen by the scanner by the deadline, it adds to `received` and moves the status
 * (`partially_paid`, `paid`, `overpaid`, even from `expired`: it was paid in time and only confirmed late); seen after
 * it, it adds to `late_received` and flags the request (`payment_request.late_payment`), its status unchanged. Once per
 * deposit. @returns whether it counted for a request
 */
export async function applyPaymentRequestDeposit(trx: Knex.Transaction, deposit: PaymentDeposit): Promise<boolean> {
  const row = await trx<Row>('payment_requests')
    .where({ chain: deposit.chain, match_address: matchAddress(deposit.address) })
    .forUpdate()
    .first();
  if (!row || row.asset !== deposit.asset) return false;
  const amount = BigInt(deposit.amount);
  const late = deposit.created_at.getTime() > row.expires_at.getTime();
  try {
    await trx('payment_request_payments').insert({ deposit_id: deposit.id, payment_request_id: row.id, amount: amount.toString(), late });
  } catch (error) {
    if (isDuplicateKey(error)) return false; // counted already
    throw error;
  }
  if (late) {
    const lateReceived = BigInt(row.late_received) + amount;
    await trx('payment_requests')
      .where({ id: row.id })
      .update({ late_received: lateReceived.toString(), late_payment: true, updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    const next = { ...row, late_received: lateReceived.toString(), late_payment: true };
    await appendEvents(trx, [paymentRequestEvent(EventType.paymentRequestLatePayment, next, deposit.id)]);
    return true;
  }
  const received = BigInt(row.received) + amount;
  const status = statusOf(received, BigInt(row.amount));
  const paid = status === PaymentRequestStatus.paid || status === PaymentRequestStatus.overpaid;
  await trx('payment_requests')
    .where({ id: row.id })
    .update({
      received: received.toString(),
      status,
      paid_at: paid ? (row.paid_at ?? trx.raw('CURRENT_TIMESTAMP(3)')) : null,
      expired_at: null,
      updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
    });
  const next = { ...row, received: received.toString(), status };
  await appendEvents(trx, [paymentRequestEvent(`payment_request.${status}` as EventType, next, deposit.id)]);
  return true;
}

/**
 * Takes back what a reversed deposit (its block left the chain after the credit) counted for a payment request,
 * inside the reversing transaction: `received` (or `late_received`) goes down, the status follows (an expired request
 * stays expired), and a `payment_request.payment_reversed` event says so.
 */
export async function reversePaymentRequestDeposit(trx: Knex.Transaction, depositId: string): Promise<void> {
  const payment = await trx('payment_request_payments')
    .where({ deposit_id: depositId })
    .whereNull('reversed_at')
    .forUpdate()
    .first<{ payment_request_id: string; amount: string; late: number | boolean } | undefined>();
  if (!payment) return;
  const row = (await trx<Row>('payment_requests').where({ id: payment.payment_request_id }).forUpdate().first())!;
  const amount = BigInt(payment.amount);
  await trx('payment_request_payments')
    .where({ deposit_id: depositId })
    .update({ reversed_at: trx.raw('CURRENT_TIMESTAMP(3)') });
  let next: Row;
  if (payment.late) {
    next = { ...row, late_received: (BigInt(row.late_received) - amount).toString() };
  } else {
    const received = BigInt(row.received) - amount;
    const status = row.status === PaymentRequestStatus.expired ? row.status : statusOf(received, BigInt(row.amount));
    const paid = status === PaymentRequestStatus.paid || status === PaymentRequestStatus.overpaid;
    next = { ...row, received: received.toString(), status, paid_at: paid ? row.paid_at : null };
  }
  await trx('payment_requests')
    .where({ id: row.id })
    .update({
      received: next.received,
      late_received: next.late_received,
      status: next.status,
      paid_at: next.paid_at,
      updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
    });
  await appendEvents(trx, [paymentRequestEvent(EventType.paymentRequestPaymentReversed, next, depositId)]);
}

/**
 * Expires this node's requests past their deadline that are not paid: `pending` or `partially_paid`, with no deposit
 * seen in time still waiting for its confirmations (that one may yet pay it; once it is credited or orphaned, a later
 * pass decides). Each in its own transaction with its `payment_request.expired` event. Driven from MySQL only: requests
 * that fell due while the node was down expire on its first pass.
 * @returns how many expired
 */
export async function expirePaymentRequests(dbs: Knex | NodeDbs, nodeId: string, limit = 200): Promise<number> {
  // The requests are global tables today and their expiry writes the shard's outbox: the transaction runs on the shard's
  // pool (a census group of docs/sharding.md); the search for due ones is the global database's alone.
  const { global, shard: db } = nodeDbs(dbs);
  const due = await global<Row>('payment_requests')
    .where({ node_id: nodeId })
    .whereIn('status', [PaymentRequestStatus.pending, PaymentRequestStatus.partiallyPaid])
    .andWhere('expires_at', '<=', global.raw('CURRENT_TIMESTAMP(3)'))
    .orderBy('expires_at')
    .limit(limit)
    .select('id');
  let expired = 0;
  for (const { id } of due) {
    const done = await withTransaction(db, async (trx) => {
      const row = await trx<Row>('payment_requests').where({ id }).forUpdate().first();
      if (!row || (row.status !== PaymentRequestStatus.pending && row.status !== PaymentRequestStatus.partiallyPaid)) return false;
      const waiting = await trx('deposits')
        .where({ account_id: row.account_id, status: 'pending', chain: row.chain, asset: row.asset })
        .whereIn('address', [...new Set([row.address, row.match_address])])
        .andWhere('created_at', '<=', row.expires_at)
        .first<{ id: string } | undefined>('id');
      if (waiting) return false;
      await trx('payment_requests')
        .where({ id })
        .update({
          status: PaymentRequestStatus.expired,
          expired_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      await appendEvents(trx, [paymentRequestEvent(EventType.paymentRequestExpired, { ...row, status: PaymentRequestStatus.expired })]);
      return true;
    });
    if (done) expired++;
  }
  return expired;
}
