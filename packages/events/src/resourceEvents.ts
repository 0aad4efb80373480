import { type NewEvent } from './appendEvents.js';
import { EventType, ResourceType, withdrawalEventType } from './eventTypes.js';

// One builder per resource: the `data` a client receives, built from the resource's MySQL row as the changing
// transaction leaves it. Amounts stay base-unit strings (DECIMAL(65,0) as mysql2 returns it); the shapes are the
// `*EventData` schemas of docs/api.md.

type Amount = string | number | bigint;

/** The columns of a `deposits` row the event carries. */
export type DepositEventRow = {
  readonly id: string;
  readonly client_id: string;
  readonly node_id: string;
  readonly account_id: string;
  readonly chain: string;
  readonly asset: string;
  readonly address: string;
  readonly txid: string | null;
  readonly output_index: number;
  readonly amount: Amount;
  readonly block_number: string | number | null;
  readonly internal?: boolean | number | null;
  /** The status the client sees (`reversal_pending` shows as credited until reversed). */
  readonly status: string;
};

/** A deposit's event (`deposit.seen`, `.credited`, `.orphaned`, `.reversed`). */
export function depositEvent(type: EventType, d: DepositEventRow): NewEvent {
  const internal = Boolean(d.internal);
  return {
    nodeId: d.node_id,
    clientId: d.client_id,
    type,
    resourceType: ResourceType.deposit,
    resourceId: d.id,
    data: {
      id: d.id,
      accountId: d.account_id,
      chain: d.chain,
      asset: d.asset,
      address: d.address,
      txid: internal ? null : d.txid,
      outputIndex: Number(d.output_index),
      amount: String(d.amount),
      blockNumber: internal || d.block_number === null ? null : Number(d.block_number),
      status: d.status === 'reversal_pending' ? 'credited' : d.status,
      internal,
    },
  };
}

/** The columns of a `withdrawals` row the event carries. */
export type WithdrawalEventRow = {
  readonly id: string;
  readonly client_id: string;
  readonly node_id: string;
  readonly account_id: string;
  readonly chain: string;
  readonly asset: string;
  readonly to_address: string;
  readonly amount: Amount;
  readonly fee: Amount;
  readonly status: string;
  readonly txid?: string | null;
  readonly reason?: string | null;
  readonly network_fee?: Amount | null;
  readonly reference?: string | null;
};

/** A withdrawal's event: its type is its new status (`withdrawal.pending_review` on creation). */
export function withdrawalEvent(w: WithdrawalEventRow, previousStatus: string | null): NewEvent {
  return {
    nodeId: w.node_id,
    clientId: w.client_id,
    type: withdrawalEventType(w.status),
    resourceType: ResourceType.withdrawal,
    resourceId: w.id,
    data: {
      id: w.id,
      accountId: w.account_id,
      chain: w.chain,
      asset: w.asset,
      to: w.to_address,
      amount: String(w.amount),
      fee: String(w.fee),
      status: w.status,
      previousStatus,
      txid: w.txid ?? null,
      reason: w.reason ?? null,
      networkFee: w.network_fee === null || w.network_fee === undefined ? null : String(w.network_fee),
      reference: w.reference ?? null,
    },
  };
}

/** The fields of a transfer the event carries. */
export type TransferEventInput = {
  readonly id: string;
  readonly clientId: string;
  /** The node that made the transfer (its debit side). */
  readonly nodeId: string;
  readonly fromAccountId: string;
  readonly toAccountId: string;
  readonly asset: string;
  readonly amount: Amount;
  readonly reference: string | null;
};

/** `transfer.completed`: the credit is on the receiving account. */
export function transferCompletedEvent(t: TransferEventInput): NewEvent {
  return {
    nodeId: t.nodeId,
    clientId: t.clientId,
    type: EventType.transferCompleted,
    resourceType: ResourceType.transfer,
    resourceId: t.id,
    data: {
      id: t.id,
      from: t.fromAccountId,
      to: t.toAccountId,
      asset: t.asset,
      amount: String(t.amount),
      status: 'completed',
      reference: t.reference,
    },
  };
}

/** The columns of a `payment_requests` row the event carries. */
export type PaymentRequestEventRow = {
  readonly id: string;
  readonly client_id: string;
  readonly node_id: string;
  readonly account_id: string;
  readonly asset: string;
  readonly chain: string;
  readonly address: string;
  readonly amount: Amount;
  readonly received: Amount;
  readonly late_received: Amount;
  readonly status: string;
  readonly late_payment: boolean | number;
  readonly expires_at: Date;
};

/**
 * A payment request's event: `payment_request.created`, a status it entered (`.partially_paid`, `.paid`, `.overpaid`,
 * `.expired`), `.late_payment` or `.payment_reversed`; with the deposit that caused it, when one did.
 */
export function paymentRequestEvent(type: EventType, r: PaymentRequestEventRow, depositId: string | null = null): NewEvent {
  return {
    nodeId: r.node_id,
    clientId: r.client_id,
    type,
    resourceType: ResourceType.paymentRequest,
    resourceId: r.id,
    data: {
      id: r.id,
      accountId: r.account_id,
      asset: r.asset,
      chain: r.chain,
      address: r.address,
      amount: String(r.amount),
      received: String(r.received),
      lateReceived: String(r.late_received),
      status: r.status,
      latePayment: Boolean(r.late_payment),
      expiresAt: r.expires_at.toISOString(),
      depositId,
    },
  };
}

/** The columns of a `red_packets` row the event carries. */
export type RedPacketEventRow = {
  readonly id: string;
  readonly client_id: string;
  readonly node_id: string;
  readonly from_account_id: string;
  readonly asset: string;
  readonly total: Amount;
  readonly count: number;
  readonly mode: string;
  readonly claimed_count: number;
  readonly claimed_amount: Amount;
  readonly refunded: Amount;
  readonly status: string;
  readonly expires_at: Date;
};

/** A claim a `red_packet.claimed` event carries. */
export type RedPacketClaimEvent = { readonly accountId: string; readonly amount: Amount; readonly transferId: string };

/** A red packet's event (`red_packet.created`, `.claimed` with the claim, `.exhausted`, `.expired`). */
export function redPacketEvent(type: EventType, r: RedPacketEventRow, claim: RedPacketClaimEvent | null = null): NewEvent {
  return {
    nodeId: r.node_id,
    clientId: r.client_id,
    type,
    resourceType: ResourceType.redPacket,
    resourceId: r.id,
    data: {
      id: r.id,
      from: r.from_account_id,
      asset: r.asset,
      total: String(r.total),
      count: Number(r.count),
      mode: r.mode,
      claimedCount: Number(r.claimed_count),
      claimedAmount: String(r.claimed_amount),
      refunded: String(r.refunded),
      status: r.status,
      expiresAt: r.expires_at.toISOString(),
      claim: claim === null ? null : { accountId: claim.accountId, amount: String(claim.amount), transferId: claim.transferId },
    },
  };
}
