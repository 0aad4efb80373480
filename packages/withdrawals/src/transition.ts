import type { Knex } from '@wallet/db';
import { type WithdrawalEventRow, appendEvents, withdrawalEvent } from '@wallet/events';
import { type WithdrawalStatus, predecessorsOf } from '@wallet/withdrawal-protocol';

export type TransitionRequest = {
  readonly withdrawalId: string;
  readonly to: WithdrawalStatus;
  /** Who made it: client:<id>, auditor:<name>, transrv:<node>, signsrv, chain. */
  readonly actor: string;
  readonly reason?: string | undefined;
  readonly txid?: string | undefined;
  /**
   * Narrows the statuses it may move from (default: every status the state machine lets precede `to`), for a move
   * that is only safe from some of them (an approved withdrawal voided before any signature: `approved` only).
   */
  readonly from?: readonly WithdrawalStatus[];
  /** Further columns to set with the status (txid, network fee, block...). */
  readonly set?: Readonly<Record<string, string | number | null>>;
};

/**
 * Moves a withdrawal forward, inside the caller's transaction: a conditional UPDATE (`WHERE status IN (the statuses
 * that may precede it)`) and, when it moved, the audit event. Concurrent writers of the same row are decided by
 * the UPDATE: exactly one of them sees `true`. The client's event (`withdrawal.<status>`) is appended with it.
 * @returns the status it moved from, or null when it did not move (already there, or past it)
 */
export async function transition(trx: Knex.Transaction, t: TransitionRequest): Promise<WithdrawalStatus | null> {
  const from = predecessorsOf(t.to).filter((s) => t.from === undefined || t.from.includes(s));
  const [rows] = (await trx.raw('SELECT * FROM withdrawals WHERE id = ? FOR UPDATE', [t.withdrawalId])) as [
    (WithdrawalEventRow & { status: WithdrawalStatus })[],
  ];
  const row = rows[0];
  const current = row?.status;
  if (row === undefined || current === undefined || !from.includes(current)) return null;
  await trx('withdrawals')
    .where({ id: t.withdrawalId, status: current })
    .update({
      status: t.to,
      ...(t.reason !== undefined ? { reason: t.reason } : {}),
      ...(t.txid !== undefined ? { txid: t.txid } : {}),
      ...t.set,
      updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
    });
  await trx('withdrawal_events').insert({
    withdrawal_id: t.withdrawalId,
    from_status: current,
    to_status: t.to,
    actor: t.actor,
    reason: t.reason ?? null,
    txid: t.txid ?? null,
  });
  // The client's event, with the row as this update leaves it.
  const after: WithdrawalEventRow = {
    ...row,
    ...t.set,
    status: t.to,
    ...(t.reason !== undefined ? { reason: t.reason } : {}),
    ...(t.txid !== undefined ? { txid: t.txid } : {}),
  };
  await appendEvents(trx, [withdrawalEvent(after, current)]);
  return current;
}
