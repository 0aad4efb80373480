import { withTransaction } from '@wallet/db';
import { signingControls } from './review/policyStore.js';
import { AlertKind, type WithdrawalRow, raiseAlertOnce } from '@wallet/withdrawal-protocol';
import { approvalProblems } from './approvalProblems.js';
import { type PayoutContext, familyOf } from './PayoutContext.js';
import type { InFlightTx, StoredTx } from './PayoutFamily.js';
import type { TxSender } from './TxSender.js';
import { type NewTx, insertTxs, newTxs } from './txStore.js';

/**
 * Replaces a stuck transaction with one spending the same inputs for the same payment at a higher fee, as its family
 * plans it (EVM: same nonce, call and gas, fees raised; UTXO: same inputs and payments, less change). A transaction
 * paying several withdrawals (a batch) is replaced for all of them at once. Inside one transaction it re-checks that
 * each withdrawal it pays is still in flight and unseen on chain, that no one replaced it meanwhile, that its row still hashes to the localhash
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
  const outcome = await withTransaction(db, async (trx): Promise<{ replaced: NewTx[] } | { problems: string[] } | null> => {
    // Every withdrawal the stuck transaction pays (one; a UTXO batch: several) is replaced together, in id order.
    const members = await trx<StoredTx>('withdrawal_txs').where({ chain: tx.chain, txid: tx.txid }).orderBy('withdrawal_id');
    const ids = members.map((m) => m.withdrawal_id);
    const rows = new Map((await trx<WithdrawalRow>('withdrawals').whereIn('id', ids).orderBy('id').forUpdate()).map((w) => [w.id, w]));
    if (ids.some((id) => !['approved', 'signed', 'broadcast'].includes(rows.get(id)?.status ?? ''))) return null;
    const [seen] = (await trx.raw(
      `SELECT 1 FROM withdrawal_txs t JOIN withdrawal_observations o ON o.chain = t.chain AND o.txid = t.txid
       WHERE t.withdrawal_id IN (${ids.map(() => '?').join(', ')}) LIMIT 1`,
      ids,
    )) as [unknown[]];
    if (seen.length > 0) return null; // mined meanwhile
    const [latest] = (await trx.raw(
      `SELECT withdrawal_id, MAX(attempt) AS attempt FROM withdrawal_txs WHERE withdrawal_id IN (${ids.map(() => '?').join(', ')})
       GROUP BY withdrawal_id FOR UPDATE`,
      ids,
    )) as [{ withdrawal_id: string; attempt: number }[]];
    const attempts = new Map(latest.map((r) => [r.withdrawal_id, Number(r.attempt)]));
    if (members.some((m) => attempts.get(m.withdrawal_id) !== m.attempt)) return null; // someone else replaced it meanwhile
    const reviews = new Map(
      (
        await trx('sign_requests')
          .whereIn('withdrawal_id', ids)
          .select<{ withdrawal_id: string; localhash: string; decision: string | null }[]>('withdrawal_id', 'localhash', 'decision')
      ).map((r) => [r.withdrawal_id, r]),
    );
    const problems = [
      ...new Set(
        members.flatMap((m) => [
          ...approvalProblems(rows.get(m.withdrawal_id)!, reviews.get(m.withdrawal_id)),
          ...family.verifySigned(m, rows.get(m.withdrawal_id)!),
        ]),
      ),
    ];
    if (problems.length > 0) return { problems };
    // The kill switch: no replacement is signed while it is pulled (the stored transaction is still re-sent as it is).
    if ((await signingControls(trx, 'share')).paused) return null;
    const replaced = newTxs(tx.chain, await family.signReplacement(plan), tx.attempt + 1, rows);
    await insertTxs(trx, replaced);
    for (const r of replaced) {
      await ctx.audit(trx, {
        actor: 'signsrv',
        action: 'signed_replacement',
        subject: r.withdrawal_id,
        details: { chain: r.chain, txid: r.txid, replaces: tx.txid, attempt: r.attempt, localhash: r.localhash },
      });
    }
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
  const first = outcome.replaced[0]!;
  log.warn(
    {
      withdrawalIds: outcome.replaced.map((r) => r.withdrawal_id),
      replaced: tx.txid,
      txid: first.txid,
      nonce: tx.nonce === null ? null : Number(tx.nonce),
    },
    'stuck transaction replaced with a fee bump',
  );
  await sender.sendOrKeepReplaced(first);
  return true;
}
