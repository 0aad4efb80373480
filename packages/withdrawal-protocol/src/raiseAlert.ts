import type { Knex } from '@wallet/db';
import type { Logger } from '@wallet/logger';

/**
 * Kinds of operator alarms (table `sign_alerts`, served by signsrv's `GET /v1/alerts`), each also logged at error
 * level. Written by signsrv, by the chain scanner and by withdrawal settlement alike: one place for operators to look.
 */
export const AlertKind = {
  /** A blockout_req entry differs from the withdrawal in MySQL (altered in Redis): refused. */
  tamperedRequest: 'tampered_request',
  /** The withdrawal row no longer matches its localhash (altered in MySQL): not signed, not bumped, not settled. */
  integrityMismatch: 'integrity_mismatch',
  /** A nonce the allocator handed out was used on chain by a transaction signsrv did not sign. */
  nonceUsedElsewhere: 'nonce_used_elsewhere',
  /** The node's nonce for the hot wallet is ahead of the allocator: someone else sends from the hot wallet. */
  nonceAhead: 'nonce_ahead',
  /** The transaction cannot be built, or the node refuses the signed one (e.g. the hot wallet cannot pay); retried. */
  sendRefused: 'send_refused',
  /** A stuck transaction was signed by a hot wallet key signsrv no longer holds: it is re-sent, never replaced. */
  hotWalletChanged: 'hot_wallet_changed',
  /** A transaction was sent from a hot wallet that no withdrawal stands behind: the key was used outside signsrv. */
  unknownHotWalletTx: 'unknown_hot_wallet_tx',
  /** Redis blockout_ctx gives a mined transaction another localhash than MySQL does (Redis altered; MySQL decides). */
  ctxMismatch: 'ctx_mismatch',
  /**
   * A mined withdrawal transaction is not settled, for an operator to decide (`details.reason`): its row no longer
   * matches the localhash it was signed against (`integrity_mismatch`), or the token moved something else than the
   * withdrawal (`token_transfer_mismatch`: another amount, e.g. a fee-on-transfer token). Its funds stay frozen.
   */
  settlementHeld: 'settlement_held',
  /**
   * An approved withdrawal's destination is one signsrv must not pay (an address the wallet operates, e.g. it became a
   * hot/fee/sweep/cold address after the request, or a reserved one): not signed. An auditor voids it (funds released).
   */
  invalidDestination: 'invalid_destination',
  /** A reorg dropped the block of a withdrawal already settled (deeper than its confirmations): check it. */
  settledWithdrawalReorged: 'settled_withdrawal_reorged',
  /**
   * The node's nonce for the hot wallet is below a nonce signsrv knows was mined (a settled withdrawal's, or one the
   * scanner saw): the chain forgot that transaction, and every later one waits behind it. signsrv re-sends the stored
   * signed transaction of that nonce (the same bytes) until the chain's nonce passes it.
   */
  nonceBehindChain: 'nonce_behind_chain',
  /** The node no longer returns the receipt of a recently confirmed withdrawal's transaction: the books say paid. */
  settledReceiptMissing: 'settled_receipt_missing',
  /**
   * UTXO chains: signsrv refused to sign a built transaction (PSBT) that does not match MySQL (`details.problems`: an
   * output changed or added, an input not ours or not locked for it, a fee out of bounds). Its inputs are released.
   */
  psbtRefused: 'psbt_refused',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/**
 * Records an operator alarm (outside any business transaction, so it survives that transaction's rollback).
 * Details carry public data only: ids, addresses, amounts, hashes; never key material.
 */
export async function raiseAlert(
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  log.error({ alert: kind, withdrawalId, ...details }, `ALARM: ${kind}`);
  await db('sign_alerts').insert({ kind, withdrawal_id: withdrawalId, details: JSON.stringify(details) });
}

/**
 * {@link raiseAlert} for a condition that is found again on every pass (a held settlement, a stuck replacement): the
 * alarm is recorded once per withdrawal and kind; later finds are logged at debug level only.
 * @returns whether an alarm was recorded by this call
 */
export async function raiseAlertOnce(
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  const seen = await db('sign_alerts').where({ kind, withdrawal_id: withdrawalId }).first<{ id: string } | undefined>('id');
  if (seen) {
    log.debug({ alert: kind, withdrawalId, ...details }, `still: ${kind}`); // found again on every pass: not news
    return false;
  }
  await raiseAlert(db, log, kind, withdrawalId, details);
  return true;
}
