/**
 * A withdrawal's life: `pending_review -> approved -> signed -> broadcast -> confirmed`, or it ends in `rejected`
 * (auditor), `cancelled` (client, before review or during the hold after approval) or `failed` (the chain executed and reverted it). Forward only.
 */
export const WithdrawalStatus = {
  pendingReview: 'pending_review',
  approved: 'approved',
  signed: 'signed',
  broadcast: 'broadcast',
  confirmed: 'confirmed',
  rejected: 'rejected',
  cancelled: 'cancelled',
  failed: 'failed',
} as const;
export type WithdrawalStatus = (typeof WithdrawalStatus)[keyof typeof WithdrawalStatus];

export const withdrawalStatuses: readonly WithdrawalStatus[] = Object.values(WithdrawalStatus);

/** Statuses after which nothing changes; funds are no longer frozen. */
export const terminalStatuses: ReadonlySet<WithdrawalStatus> = new Set(['confirmed', 'rejected', 'cancelled', 'failed']);

/** Statuses in which a signature may exist: nothing is ever voided automatically from here, only the chain decides. */
export const inFlightStatuses: readonly WithdrawalStatus[] = ['approved', 'signed', 'broadcast'];

/** The order of the forward path; a status may only move to one further along (or to a terminal one). */
const rank: Readonly<Record<WithdrawalStatus, number>> = {
  pending_review: 0,
  approved: 1,
  signed: 2,
  broadcast: 3,
  confirmed: 4,
  rejected: 4,
  cancelled: 4,
  failed: 4,
};

/** Whether `from -> to` moves forward (the only moves the state machine allows). */
export function isForward(from: WithdrawalStatus, to: WithdrawalStatus): boolean {
  if (terminalStatuses.has(from)) return false;
  if (to === 'rejected') return from === 'pending_review';
  // A client may cancel before review, and after the final approval while the policy's hold lasts and nothing is signed
  // (transrv's cancel checks both under the withdrawal's lock, the lock signing takes).
  if (to === 'cancelled') return from === 'pending_review' || from === 'approved';
  // Nothing is signed, sent or settled without an approval first.
  if (from === 'pending_review') return to === 'approved';
  return rank[to] > rank[from];
}

/** Statuses that may move to `to` (for the conditional UPDATE that makes a transition). */
export function predecessorsOf(to: WithdrawalStatus): WithdrawalStatus[] {
  return withdrawalStatuses.filter((from) => isForward(from, to));
}
