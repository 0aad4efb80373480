import type { Knex } from '@wallet/db';
import { type BlockoutResponse, encodeMessage } from '@wallet/withdrawal-protocol';

/**
 * Queues blockout_rsp messages in signsrv's outbox, inside the caller's transaction (so each exists if and only if
 * what it reports was committed). One row per withdrawal and type: a newer report of the same type (a replacement
 * transaction's `broadcast`) replaces the older one and is sent afresh.
 */
export async function queueResponse(trx: Knex.Transaction, ...messages: Omit<BlockoutResponse, 'v'>[]): Promise<void> {
  if (messages.length === 0) return;
  await trx.raw(
    `INSERT INTO sign_outbox (withdrawal_id, node_id, type, payload) VALUES ${messages.map(() => '(?, ?, ?, ?)').join(', ')}
     ON DUPLICATE KEY UPDATE payload = VALUES(payload), done_at = NULL, sent_count = 0, next_send_at = CURRENT_TIMESTAMP(3)`,
    messages.flatMap((msg) => [msg.withdrawalId, msg.nodeId, msg.type, encodeMessage({ v: 1, ...msg })]),
  );
}
