import type { Knex } from '@wallet/db';
import { LedgerKind, postEntry } from '@wallet/ledger';
import type { WithdrawalRow, WithdrawalStatus } from '@wallet/withdrawal-protocol';
import { transition } from './transition.js';

/**
 * Ends a withdrawal that never reached the chain and gives the frozen amount + fee back, inside the caller's
 * transaction: `cancelled` by the client or `rejected` by an auditor, from pending_review only; or `failed` when an
 * auditor voided an approved withdrawal that was never signed, from approved only (the caller has checked, under
 * lock, that no transaction exists); a client's cancel during the hold after approval passes `from` (its caller has
 * checked the hold and that nothing is signed). Once a signature may exist, nothing but the chain can end it.
 * @returns whether it was released by this call (false: it had already left the status it is released from)
 */
export async function releaseWithdrawal(
  trx: Knex.Transaction,
  w: Pick<WithdrawalRow, 'id' | 'account_id' | 'asset' | 'amount' | 'fee'>,
  to: 'cancelled' | 'rejected' | 'failed',
  nodeId: string,
  actor: string,
  reason?: string,
  from: readonly WithdrawalStatus[] = to === 'failed' ? ['approved'] : ['pending_review'],
): Promise<boolean> {
  const moved = await transition(trx, { withdrawalId: w.id, to, from, actor, reason });
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
