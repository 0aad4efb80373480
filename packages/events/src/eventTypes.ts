/** What an event is about: the resource whose change it records. */
export const ResourceType = {
  deposit: 'deposit',
  withdrawal: 'withdrawal',
  transfer: 'transfer',
  webhook: 'webhook',
  paymentRequest: 'payment_request',
  redPacket: 'red_packet',
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

/**
 * Every event type a client may receive (feed, stream, webhooks), `<resource>.<what happened>`. A withdrawal's type is
 * its new status: `withdrawal.pending_review` is its creation.
 */
export const EventType = {
  depositSeen: 'deposit.seen',
  depositCredited: 'deposit.credited',
  depositOrphaned: 'deposit.orphaned',
  depositReversed: 'deposit.reversed',
  withdrawalPendingReview: 'withdrawal.pending_review',
  withdrawalApproved: 'withdrawal.approved',
  withdrawalSigned: 'withdrawal.signed',
  withdrawalBroadcast: 'withdrawal.broadcast',
  withdrawalConfirmed: 'withdrawal.confirmed',
  withdrawalFailed: 'withdrawal.failed',
  withdrawalRejected: 'withdrawal.rejected',
  withdrawalCancelled: 'withdrawal.cancelled',
  transferCompleted: 'transfer.completed',
  webhookDisabled: 'webhook.disabled',
  paymentRequestCreated: 'payment_request.created',
  paymentRequestPartiallyPaid: 'payment_request.partially_paid',
  paymentRequestPaid: 'payment_request.paid',
  paymentRequestOverpaid: 'payment_request.overpaid',
  paymentRequestExpired: 'payment_request.expired',
  /** A payment the scanner saw after the request expired: credited to the account, the request flagged. */
  paymentRequestLatePayment: 'payment_request.late_payment',
  /** A payment that counted was reversed (its block left the chain after the credit); `status` is the new one. */
  paymentRequestPaymentReversed: 'payment_request.payment_reversed',
  redPacketCreated: 'red_packet.created',
  /** A share was claimed; `data.claim` says by whom and how much. */
  redPacketClaimed: 'red_packet.claimed',
  /** The last share was claimed. */
  redPacketExhausted: 'red_packet.exhausted',
  /** It expired; what nobody claimed went back to the sender (`data.refunded`). */
  redPacketExpired: 'red_packet.expired',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];
export const eventTypes: readonly EventType[] = Object.values(EventType);

/** The event type of a withdrawal entering `status`. */
export function withdrawalEventType(status: string): EventType {
  const type = `withdrawal.${status}`;
  if (!(eventTypes as readonly string[]).includes(type)) throw new Error(`no event type for withdrawal status ${status}`);
  return type as EventType;
}
