import { type Knex, withTransaction } from '@wallet/db';
import { applyResponse, type ResponseOutcome } from './applyResponse.js';
import { type CrashPoint, noCrashPoints } from '@wallet/lifecycle';
import type { BlockoutResponse } from '@wallet/withdrawal-protocol';

/**
 * Applies a batch of blockout_rsp messages for this node. `received` (the bulk of the traffic: one per request) only
 * stops the request's re-sending: those are applied together, in one statement that acknowledges only withdrawals
 * signsrv really has in its review queue. Every other message is applied alone ({@link applyResponse}), in order:
 * `approved` among them, since transrv moves its row to approved on it (checked against signsrv's decision).
 * @returns per other message, its outcome
 */
export async function applyResponses(
  db: Knex,
  nodeId: string,
  messages: readonly BlockoutResponse[],
  crashPoint: CrashPoint = noCrashPoints,
): Promise<{ message: BlockoutResponse; outcome: ResponseOutcome }[]> {
  const receipts = [...new Set(messages.filter((m) => m.type === 'received').map((m) => m.withdrawalId))];
  if (receipts.length > 0) {
    await withTransaction(db, async (trx) => {
      await trx.raw(
        `UPDATE withdrawal_outbox o JOIN sign_requests r ON r.withdrawal_id = o.withdrawal_id
         SET o.acked_at = CURRENT_TIMESTAMP(3)
         WHERE o.node_id = ? AND o.acked_at IS NULL AND o.withdrawal_id IN (${receipts.map(() => '?').join(', ')})`,
        [nodeId, ...receipts],
      );
      crashPoint('transrv.rsp.before_commit');
    });
  }
  const outcomes: { message: BlockoutResponse; outcome: ResponseOutcome }[] = [];
  for (const message of messages) {
    if (message.type === 'received') continue;
    outcomes.push({ message, outcome: await applyResponse(db, nodeId, message, crashPoint) });
  }
  return outcomes;
}
