import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type Withdrawal, type WithdrawalRow, withdrawalFromRow } from './Withdrawal.js';
import { releaseWithdrawal } from './releaseWithdrawal.js';

/**
 * The client's cancel: only while pending_review. It races an auditor's approval for the same row; the
 * conditional UPDATE decides, so a cancelled withdrawal is never signed and an approved one is never released.
 * @throws WalletError NOT_FOUND (no such withdrawal for this client on this node), WITHDRAWAL_NOT_CANCELLABLE
 */
export async function cancelWithdrawal(db: Knex, nodeId: string, clientId: string, withdrawalId: string): Promise<Withdrawal> {
  return withTransaction(db, async (trx) => {
    const row = await trx<WithdrawalRow>('withdrawals')
      .where({ id: withdrawalId, client_id: clientId, node_id: nodeId })
      .forUpdate()
      .first();
    if (!row) throw new WalletError('NOT_FOUND', 'no such withdrawal', { details: { withdrawalId } });
    const released = await releaseWithdrawal(trx, row, 'cancelled', nodeId, `client:${clientId}`);
    if (!released) {
      throw new WalletError('WITHDRAWAL_NOT_CANCELLABLE', `the withdrawal is ${row.status} and can no longer be cancelled`, {
        details: { withdrawalId, status: row.status },
      });
    }
    const after = await trx<WithdrawalRow>('withdrawals').where({ id: withdrawalId }).first();
    return withdrawalFromRow(after!);
  });
}
