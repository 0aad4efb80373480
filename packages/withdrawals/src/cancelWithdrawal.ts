import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type Withdrawal, withdrawalFromRow } from './Withdrawal.js';
import { type WithdrawalRow } from '@wallet/withdrawal-protocol';
import { releaseWithdrawal } from './releaseWithdrawal.js';
import { signatureMayExist } from './signatureMayExist.js';

/** withdrawals.cancel_idempotency_key (migration 0009): the key of the client's cancel that cancelled it. */
type CancelRow = WithdrawalRow & { cancel_idempotency_key: string | null };

/**
 * The client's cancel: while pending_review and undecided by signsrv, or after the final approval while the policy's
 * hold lasts and nothing is signed. signsrv decides under this withdrawal's lock, and signs under it, so the cancel
 * (which takes it first) and a decision or a signature are one after the other: a cancelled withdrawal is never
 * signed, and an approved one outside its hold is never released.
 *
 * Idempotent on (clientId, idempotencyKey): the key is recorded in the cancel's transaction, so a retry of a cancel
 * that took effect after its answer was lost (a gateway timeout, a dead gateway) answers with the cancelled
 * withdrawal (`cancelled: false`) and releases nothing again; a cancel with any other key is still
 * WITHDRAWAL_NOT_CANCELLABLE. Without a key (an older gateway) nothing is recorded and every repeat is refused.
 * @param idempotencyKey the client's Idempotency-Key of this cancel; '' or undefined: none
 * @returns the withdrawal, and whether this call cancelled it
 * @throws WalletError NOT_FOUND (no such withdrawal for this client on this node), WITHDRAWAL_NOT_CANCELLABLE,
 *   IDEMPOTENCY_KEY_REUSED (this key already cancelled another withdrawal of the client)
 */
export async function cancelWithdrawal(
  db: Knex,
  nodeId: string,
  clientId: string,
  withdrawalId: string,
  idempotencyKey?: string,
): Promise<{ withdrawal: Withdrawal; cancelled: boolean }> {
  const key = idempotencyKey || null;
  try {
    return await withTransaction(db, async (trx) => {
      const row = await trx<CancelRow>('withdrawals').where({ id: withdrawalId, client_id: clientId, node_id: nodeId }).forUpdate().first();
      if (!row) throw new WalletError('NOT_FOUND', 'no such withdrawal', { details: { withdrawalId } });
      // This very cancel took effect before (its answer was lost): the same answer, nothing released again.
      if (key !== null && row.status === 'cancelled' && row.cancel_idempotency_key === key) {
        return { withdrawal: withdrawalFromRow(row), cancelled: false };
      }
      const refusal = await cancelRefusal(trx, row);
      const released =
        refusal === null &&
        (await releaseWithdrawal(trx, row, 'cancelled', nodeId, `client:${clientId}`, undefined, ['pending_review', 'approved']));
      if (!released) {
        const state = refusal ?? row.status;
        throw new WalletError('WITHDRAWAL_NOT_CANCELLABLE', `the withdrawal is ${state} and can no longer be cancelled`, {
          details: { withdrawalId, status: row.status, ...(refusal === null ? {} : { state: refusal }) },
        });
      }
      // In the same transaction as the release: a cancel that took effect always has its key recorded.
      if (key !== null) await trx('withdrawals').where({ id: withdrawalId }).update({ cancel_idempotency_key: key });
      const after = await trx<WithdrawalRow>('withdrawals').where({ id: withdrawalId }).first();
      return { withdrawal: withdrawalFromRow(after!), cancelled: true };
    });
  } catch (error) {
    // The unique (client_id, cancel_idempotency_key): this key already cancelled another withdrawal, and the
    // transaction (release included) was rolled back.
    if (key !== null && isDuplicateKey(error)) {
      throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request', {
        details: { idempotencyKey: key },
      });
    }
    throw error;
  }
}

/**
 * Why signsrv's records forbid cancelling now (read under the withdrawal's lock, which signsrv's decisions and signing
 * take first): `approved`, `rejected`, `voided` (decided, outside a hold) or `signed`; null when it may be cancelled.
 */
async function cancelRefusal(trx: Knex.Transaction, row: WithdrawalRow): Promise<string | null> {
  const [reviews] = (await trx.raw(
    `SELECT decision, COALESCE(hold_until > CURRENT_TIMESTAMP(3), 0) AS held FROM sign_requests WHERE withdrawal_id = ? LOCK IN SHARE MODE`,
    [row.id],
  )) as [{ decision: string | null; held: number }[]];
  const review = reviews[0];
  // Not yet received, or undecided: cancellable while pending_review. A row that says approved without signsrv's
  // approval (altered in MySQL) is not: outside a hold, approved is never released by a cancel.
  if (review === undefined || review.decision === null) return row.status === 'pending_review' ? null : row.status;
  if (review.decision !== 'approved' || !review.held) return review.decision;
  // In its hold: cancellable only while no signature can exist (no transaction, no nonce, no live UTXO build).
  return (await signatureMayExist(trx, row.id)) ? 'signed' : null;
}
