import type { Knex } from '@wallet/db';
import { LedgerKind, postEntry } from '@wallet/ledger';
import type { WithdrawalRow } from './Withdrawal.js';
import { transition } from './transition.js';

/**
 * Ends a withdrawal that never reached the chain (cancelled by the client, rejected by an auditor) and gives the
 * frozen amount + fee back, inside the caller's transaction. Only from pending_review: once approved, a signature
 * may exist and nothing but the chain can end it.
 * @returns whether it was released by this call (false: it had already left pending_review)
 */
export async function releaseWithdrawal(
  trx: Knex.Transaction,
  w: Pick<WithdrawalRow, 'id' | 'account_id' | 'asset' | 'amount' | 'fee'>,
  to: 'cancelled' | 'rejected',
  nodeId: string,
  actor: string,
  reason?: string,
): Promise<boolean> {
  const moved = await transition(trx, { withdrawalId: w.id, to, actor, reason });
  if (moved === null) return false;
  const total = BigInt(w.amount) + BigInt(w.fee);
  await postEntry(trx, {
    entryId: `${w.id}:release`,
    nodeId,
    refId: w.id,
    lines: [
      { accountId: w.account_id, asset: w.asset, bucket: 'frozen', amount: -total, kind: LedgerKind.withdrawalRelease },
      { accountId: w.account_id, asset: w.asset, bucket: 'available', amount: total, kind: LedgerKind.withdrawalRelease },
    ],
  });
  return true;
}
