import type { Knex } from '@wallet/db';
import { type Logger, unbound } from '@wallet/logger';

/**
 * Kinds of operator alarms, each also logged at error level. Each service writes its own table (signsrv
 * `sign_alerts`, transrv's settlement and chain scanner `node_alerts`); signsrv serves both (`GET /v1/alerts`), so
 * operators look in one place. What each kind means and what to do: alertCatalogue.ts.
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
  /**
   * An approved withdrawal's transaction cannot be built (`details.cause`: the gas estimate fails, the hot wallet
   * cannot pay, fees above the cap, ...: AlertCause); nothing was signed, it is retried.
   */
  buildFailed: 'build_failed',
  /** The node refuses a signed transaction (`details.cause`, e.g. the hot wallet cannot pay the gas); re-sent. */
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
  /**
   * Reconciliation: an asset's holdings (on chain, in flight, cold) are short of its liabilities to users beyond the
   * tolerance (`details.shortfall`, `details.since`): signing of that asset is halted until an admin releases it.
   */
  reconciliationShortfall: 'reconciliation_shortfall',
  /** A balance row is negative (`details.accountId`, `details.asset`): found by reconciliation's ledger check. */
  negativeBalance: 'negative_balance',
  /** A journal entry, or all of an asset's lines, do not sum to zero (`details.entryId`, `details.sum`). */
  journalUnbalanced: 'journal_unbalanced',
  /**
   * Tiers: an asset's hot wallet holds less than its floor (`details.hot`, `details.floor`, `details.since`,
   * `details.cold`): operators refill it from cold. Raised once per episode; the episode ends when it is back above.
   */
  hotWalletBelowFloor: 'hot_wallet_below_floor',
} as const;
export type AlertKind = (typeof AlertKind)[keyof typeof AlertKind];

/**
 * The alarm tables, one per service that raises alarms: each writes only its own (packages/db ownership.ts).
 * `sign` and `node` also prefix an alarm's id in the API (`s:12`, `n:7`).
 */
export const AlertSource = { sign: 'sign', node: 'node' } as const;
export type AlertSource = (typeof AlertSource)[keyof typeof AlertSource];
export const alertTables: Readonly<Record<AlertSource, string>> = { sign: 'sign_alerts', node: 'node_alerts' };

/**
 * Records an operator alarm in signsrv's table (outside any business transaction, so it survives that transaction's
 * rollback). Details carry public data only: ids, addresses, amounts, hashes; never key material.
 * @param db a pool, or a transaction when the alarm must commit (or not) with the work that found it
 */
export function raiseAlert(
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  return record(AlertSource.sign, db, log, kind, withdrawalId, details);
}

/** {@link raiseAlert} for transrv (settlement, the chain scanner): into its own `node_alerts`. */
export function raiseNodeAlert(
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  return record(AlertSource.node, db, log, kind, withdrawalId, details);
}

/**
 * {@link raiseAlert} for a condition that is found again on every pass (a stuck replacement, a missing receipt): the
 * alarm is recorded once per withdrawal and kind; later finds are logged at debug level only.
 * @returns whether an alarm was recorded by this call
 */
export function raiseAlertOnce(
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  return recordOnce(AlertSource.sign, db, log, kind, withdrawalId, details);
}

/** {@link raiseAlertOnce} for transrv (a held settlement is found again on every pass): into `node_alerts`. */
export function raiseNodeAlertOnce(
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  return recordOnce(AlertSource.node, db, log, kind, withdrawalId, details);
}

async function record(
  source: AlertSource,
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  log.error({ alert: kind, withdrawalId, ...unbound(log, details) }, `ALARM: ${kind}`);
  await db(alertTables[source]).insert({ kind, withdrawal_id: withdrawalId, details: JSON.stringify(details) });
}

async function recordOnce(
  source: AlertSource,
  db: Knex,
  log: Logger,
  kind: AlertKind,
  withdrawalId: string,
  details: Record<string, unknown>,
): Promise<boolean> {
  const seen = await db(alertTables[source]).where({ kind, withdrawal_id: withdrawalId }).first<{ id: string } | undefined>('id');
  if (seen) {
    log.debug({ alert: kind, withdrawalId, ...details }, `still: ${kind}`); // found again on every pass: not news
    return false;
  }
  await record(source, db, log, kind, withdrawalId, details);
  return true;
}
