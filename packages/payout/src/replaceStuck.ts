import { withTransaction } from '@wallet/db';
import { AlertKind, type WithdrawalRow, raiseAlertOnce } from '@wallet/withdrawals';
import { approvalProblems } from './approvalProblems.js';
import { type PayoutContext, familyOf } from './PayoutContext.js';
import type { InFlightTx } from './PayoutFamily.js';
import type { TxSender } from './TxSender.js';
import { type NewTx, insertTxs, newTx } from './txStore.js';

/**
 * Replaces a stuck transaction with one spending the same inputs for the same payment at a higher fee, as its family
 * plans it (EVM: same nonce, call and gas, fees raised). Inside one transaction it re-checks that the withdrawal is
 * still in flight and unseen on chain, that no one replaced it meanwhile, that its row still hashes to the localhash
 * signsrv received, and that the stored transaction still pays exactly what the row says (the family's
 * `verifySigned`): a row altered after signing cannot redirect the replacement. Only the key that signed the original
 * can replace it; one signed by another key is left to be re-sent as it is (`hot_wallet_changed` alarm).
 * @returns whether a replacement was signed (and sent)
 */
export async function replaceStuck(ctx: PayoutContext, sender: TxSender, tx: InFlightTx): Promise<boolean> {
  const { db, log } = ctx;
  const family = familyOf(ctx, tx.chain);
  if (!family.isActiveSender(tx.from_address)) {
    // Signed by a key signsrv no longer holds (the keystore changed): any "replacement" from the new key would be
    // a second payment, not a replacement. The original is re-sent until it is mined.
    await raiseAlertOnce(db, log, AlertKind.hotWalletChanged, tx.withdrawal_id, {
      chain: tx.chain,
      txid: tx.txid,
      signedBy: tx.from_address,
      hotWallet: family.address,
    });
    return false;
  }
  const plan = await family.planReplacement(tx);
  if (plan === null) return false;
  const outcome = await withTransaction(db, async (trx): Promise<{ replaced: NewTx } | { problems: string[] } | null> => {
    const w = await trx<WithdrawalRow>('withdrawals').where({ id: tx.withdrawal_id }).forUpdate().first();
    if (!w || !['approved', 'signed', 'broadcast'].includes(w.status)) return null;
    if (await trx('withdrawal_observations').where({ withdrawal_id: w.id }).first<{ txid: string } | undefined>('txid')) return null; // mined meanwhile
    const [rows] = (await trx.raw('SELECT MAX(attempt) AS attempt FROM withdrawal_txs WHERE withdrawal_id = ? FOR UPDATE', [w.id])) as [
      { attempt: number }[],
    ];
    if (rows[0]?.attempt !== tx.attempt) return null; // someone else replaced it meanwhile
    const review = await trx('sign_requests')
      .where({ withdrawal_id: w.id })
      .first<{ localhash: string; decision: string | null } | undefined>('localhash', 'decision');
    const problems = [...approvalProblems(w, review), ...family.verifySigned(tx, w)];
    if (problems.length > 0) return { problems };
    const replaced = newTx(tx.chain, await family.signReplacement(plan), tx.attempt + 1, tx);
    await insertTxs(trx, [replaced]);
    return { replaced };
  });
  if (outcome === null) return false;
  if ('problems' in outcome) {
    // The original was checked when it was signed and still pays what was approved: it is re-sent as it is.
    await raiseAlertOnce(db, log, AlertKind.integrityMismatch, tx.withdrawal_id, {
      fields: outcome.problems,
      txid: tx.txid,
      during: 'bump',
    });
    return false;
  }
  log.warn(
    { withdrawalId: tx.withdrawal_id, replaced: tx.txid, txid: outcome.replaced.txid, nonce: tx.nonce === null ? null : Number(tx.nonce) },
    'stuck transaction replaced with a fee bump',
  );
  await sender.sendOrKeepReplaced(outcome.replaced);
  return true;
}
