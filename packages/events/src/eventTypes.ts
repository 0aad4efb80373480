/** What an event is about: the resource whose change it records. */
export const ResourceType = {
  deposit: 'deposit',
  withdrawal: 'withdrawal',
  transfer: 'transfer',
  webhook: 'webhook',
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
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];
export const eventTypes: readonly EventType[] = Object.values(EventType);

/** The event type of a withdrawal entering `status`. */
export function withdrawalEventType(status: string): EventType {
  const type = `withdrawal.${status}`;
  if (!(eventTypes as readonly string[]).includes(type)) throw new Error(`no event type for withdrawal status ${status}`);
  return type as EventType;
}
