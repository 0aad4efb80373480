import { type WithdrawalEventRow, appendEvents, withdrawalEvent } from '@wallet/events';
import { type Knex, withTransaction } from '@wallet/db';
import type { BlockoutResponse, WithdrawalRow } from '@wallet/withdrawal-protocol';
import { type CrashPoint, noCrashPoints } from '@wallet/lifecycle';
import { releaseWithdrawal } from './releaseWithdrawal.js';
import { signatureMayExist } from './signatureMayExist.js';
import { transition } from './transition.js';

export type ResponseOutcome = 'applied' | 'unchanged' | 'unverified' | 'unknown';

/**
 * Applies one blockout_rsp message on the node that owns the withdrawal, in one MySQL transaction. The message is
 * only a hint: each effect is checked against what signsrv recorded in MySQL before it is applied (a rejection
 * against its decision, a signed or broadcast report against its stored transaction), so a forged or altered Redis
 * entry can change nothing. Idempotent and order-insensitive: transitions only move forward.
 * @returns `applied`; `unchanged` (already applied, or overtaken); `unverified` (MySQL does not back the message:
 * ignored); `unknown` (no such withdrawal on this node)
 */
export async function applyResponse(
  db: Knex,
  nodeId: string,
  msg: BlockoutResponse,
  crashPoint: CrashPoint = noCrashPoints,
): Promise<ResponseOutcome> {
  return withTransaction(db, async (trx) => {
    const w = await trx<WithdrawalRow>('withdrawals').where({ id: msg.withdrawalId, node_id: nodeId }).forUpdate().first();
    if (!w) return 'unknown';
    const outcome = await apply(trx, nodeId, w, msg);
    crashPoint('transrv.rsp.before_commit');
    return outcome;
  });
}

async function apply(trx: Knex.Transaction, nodeId: string, w: WithdrawalRow, msg: BlockoutResponse): Promise<ResponseOutcome> {
  const review = await trx('sign_requests')
    .where({ withdrawal_id: w.id })
    .first<{ decision: 'approved' | 'rejected' | 'voided' | null; decided_by: string | null; reason: string | null } | undefined>(
      'decision',
      'decided_by',
      'reason',
    );
  switch (msg.type) {
    case 'received': {
      if (!review) return 'unverified';
      const acked = await ackOutbox(trx, w.id);
      return acked > 0 ? 'applied' : 'unchanged';
    }
    case 'approved': {
      // signsrv decided (under this row's lock, which the client's cancel takes too); transrv moves its row.
      if (review?.decision !== 'approved' && review?.decision !== 'voided') return 'unverified';
      const acked = await ackOutbox(trx, w.id);
      const moved = await catchUpApproval(trx, w, review);
      return acked > 0 || moved ? 'applied' : 'unchanged';
    }
    case 'rejected': {
      // signsrv decided under this row's lock (the client's cancel sees the decision and is refused from then on);
      // transrv releases the funds.
      if (review?.decision !== 'rejected') return 'unverified';
      await ackOutbox(trx, w.id);
      const released = await releaseWithdrawal(trx, w, 'rejected', nodeId, review.decided_by ?? 'signsrv', review.reason ?? 'rejected');
      return released ? 'applied' : 'unchanged';
    }
    case 'voided': {
      // Only an approved withdrawal of which signsrv never stored a transaction: then no signature exists anywhere.
      if (review?.decision !== 'voided') return 'unverified';
      if (await signatureMayExist(trx, w.id)) return 'unverified';
      // The approval came first (a void needs one); its report may not have been applied yet.
      await catchUpApproval(trx, w, review);
      const reason = `voided before signing: ${review.reason ?? 'no reason given'}`.slice(0, 200);
      const released = await releaseWithdrawal(trx, w, 'failed', nodeId, review.decided_by ?? 'signsrv', reason);
      return released ? 'applied' : 'unchanged';
    }
    case 'signed':
    case 'broadcast': {
      if (!msg.txid) return 'unverified';
      // One row per withdrawal the transaction pays (a UTXO batch pays several, each told with its own report).
      const tx = await trx('withdrawal_txs')
        .where({ chain: w.chain, txid: msg.txid, withdrawal_id: w.id })
        .first<{ broadcast_at: Date | null; vout: number | null } | undefined>('broadcast_at', 'vout');
      if (!tx || (msg.type === 'broadcast' && tx.broadcast_at === null)) return 'unverified';
      if (review?.decision === 'approved') await catchUpApproval(trx, w, review);
      // UTXO chains: the withdrawal's output in that transaction, shown with its txid from now on.
      const outputIndex = tx.vout === null ? {} : { output_index: tx.vout };
      const moved = await transition(trx, { withdrawalId: w.id, to: msg.type, actor: 'signsrv', txid: msg.txid, set: outputIndex });
      if (moved !== null) return 'applied';
      if (msg.type === 'broadcast' && w.status === 'broadcast' && w.txid !== msg.txid) {
        // A fee-bumped replacement (same nonce, or the same inputs) was sent: show its id; whichever one the chain takes
        // is recorded then.
        await trx('withdrawals')
          .where({ id: w.id })
          .update({ txid: msg.txid, ...outputIndex, updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
        await trx('withdrawal_events').insert({
          withdrawal_id: w.id,
          from_status: 'broadcast',
          to_status: 'broadcast',
          actor: 'signsrv',
          reason: 'replaced by a fee bump',
          txid: msg.txid,
        });
        const replaced = await trx<WithdrawalEventRow>('withdrawals').where({ id: w.id }).first();
        await appendEvents(trx, [withdrawalEvent(replaced!, 'broadcast')]);
        return 'applied';
      }
      return 'unchanged';
    }
  }
}

async function ackOutbox(trx: Knex.Transaction, withdrawalId: string): Promise<number> {
  return trx('withdrawal_outbox')
    .where({ withdrawal_id: withdrawalId })
    .whereNull('acked_at')
    .update({ acked_at: trx.raw('CURRENT_TIMESTAMP(3)') });
}

/**
 * Moves a withdrawal that signsrv approved (its decision is in `review`) from pending_review to approved, once.
 * @returns whether it moved
 */
async function catchUpApproval(trx: Knex.Transaction, w: WithdrawalRow, review: { decided_by: string | null }): Promise<boolean> {
  if (w.status !== 'pending_review') return false;
  const moved = await transition(trx, {
    withdrawalId: w.id,
    to: 'approved',
    from: ['pending_review'],
    actor: review.decided_by ?? 'signsrv',
  });
  if (moved !== null) w.status = 'approved';
  return moved !== null;
}
