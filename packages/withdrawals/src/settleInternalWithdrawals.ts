import { type Knex, type NodeDbs, nodeDbs, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import {
  type JournalLine,
  LedgerKind,
  SystemAccount,
  type Transfer,
  postEntry,
  recordInternalDeposit,
  recordInternalTransfer,
} from '@wallet/ledger';
import type { Logger } from '@wallet/logger';
import { AlertKind, localhashOfRow, raiseNodeAlertOnce, type WithdrawalRow } from '@wallet/withdrawal-protocol';
import { type CrashPoint, noCrashPoints } from '@wallet/lifecycle';
import { transition } from './transition.js';

export type InternalSettlement = {
  readonly confirmed: number;
  readonly held: number;
  /** Cross-node credits recorded by this pass, for the caller to deliver at once (the TransferRelay also sweeps). */
  readonly transfers: readonly Transfer[];
};

/**
 * Settles this node's approved internal withdrawals (the destination is a deposit address of this wallet): nothing is
 * signed or sent; the frozen amount (+ fee, 0 for internal ones) is spent and the account that owns the address is
 * credited. One MySQL transaction per withdrawal:
 * - it locks signsrv's decision (the same order approval and void take: decision, then withdrawal) and the withdrawal,
 *   and moves it only from `approved` with signsrv's `approved` decision behind it, to `confirmed`: exactly once;
 * - the row must still hash to its localhash, which must be the one signsrv received (the credited account is covered);
 *   otherwise it is held with a `settlement_held` alarm, funds frozen;
 * - the credited account on this node: debited frozen and credited available in one entry, with its internal deposit;
 *   on another node: the value goes to the transit account with a transfer tied to the withdrawal, which the transfer
 *   relay delivers to that node (exactly once there: the credit is keyed by the transfer id), and the deposit is
 *   recorded there with the credit.
 * A crash anywhere leaves either nothing or everything of a withdrawal's settlement; the next pass resumes.
 * @param dbs the node's databases: the settlement in its shard, alarms in the global database (docs/sharding.md)
 * @param options.pageSize withdrawals looked at per pass @default 200
 * @param options.crashPoint test-only crash points (`transrv.internal.after_credit`, `transrv.internal.before_commit`,
 * `transrv.internal.after_commit`) @default none
 */
export async function settleInternalWithdrawals(
  dbs: Knex | NodeDbs,
  nodeId: string,
  log: Logger,
  options: { readonly pageSize?: number; readonly crashPoint?: CrashPoint } = {},
): Promise<InternalSettlement> {
  const { pageSize = 200, crashPoint = noCrashPoints } = options;
  const { global, shard: db } = nodeDbs(dbs);
  const ids = await db('withdrawals as w')
    .join('sign_requests as r', 'r.withdrawal_id', 'w.id')
    .where({ 'w.node_id': nodeId, 'w.status': 'approved', 'r.decision': 'approved' })
    .whereNotNull('w.internal_account_id')
    .orderBy('w.id')
    .limit(pageSize)
    .pluck<string[]>('w.id');
  let confirmed = 0;
  let held = 0;
  const transfers: Transfer[] = [];
  for (const id of ids) {
    try {
      const outcome = await settleOne(db, nodeId, id, crashPoint);
      if (outcome.kind === 'confirmed') {
        // Committed; a cross-node credit is not delivered yet (the relay's sweep must find it after a crash here).
        crashPoint('transrv.internal.after_commit');
        confirmed++;
        if (outcome.transfer) transfers.push(outcome.transfer);
        log.info({ withdrawalId: id, crossNode: outcome.transfer !== null }, 'internal withdrawal settled in the ledger');
      } else if (outcome.kind === 'held') {
        held++;
        await raiseNodeAlertOnce(global, log, AlertKind.settlementHeld, id, outcome.details);
      }
    } catch (error) {
      log.error({ err: error, withdrawalId: id }, 'settling an internal withdrawal failed; retrying on the next pass');
    }
  }
  return { confirmed, held, transfers };
}

type Outcome = { kind: 'confirmed'; transfer: Transfer | null } | { kind: 'skipped' } | { kind: 'held'; details: Record<string, unknown> };

async function settleOne(db: Knex, nodeId: string, id: string, crashPoint: CrashPoint): Promise<Outcome> {
  return withTransaction(db, async (trx): Promise<Outcome> => {
    const [reviewRows] = (await trx.raw('SELECT decision, localhash FROM sign_requests WHERE withdrawal_id = ? LOCK IN SHARE MODE', [
      id,
    ])) as [{ decision: string | null; localhash: string }[]];
    const review = reviewRows[0];
    const w = await trx<WithdrawalRow>('withdrawals').where({ id, node_id: nodeId }).forUpdate().first();
    if (!w || w.status !== 'approved' || w.internal_account_id === null || review?.decision !== 'approved') return { kind: 'skipped' };
    const recomputed = localhashOfRow(w);
    if (recomputed !== w.localhash || review.localhash !== w.localhash) {
      return { kind: 'held', details: { reason: 'integrity_mismatch', internal: true, signsrvLocalhash: review.localhash } };
    }
    const target = await trx('accounts').where({ id: w.internal_account_id }).first<{ node_id: string } | undefined>('node_id');
    if (!target) return { kind: 'held', details: { reason: 'internal_account_missing', internal: true } };

    const amount = BigInt(w.amount);
    const fee = BigInt(w.fee);
    const lines: JournalLine[] = [
      { accountId: w.account_id, asset: w.asset, bucket: 'frozen', amount: -(amount + fee), kind: LedgerKind.withdrawalSpend },
    ];
    if (fee > 0n) {
      lines.push({
        accountId: SystemAccount.feeIncome(w.asset),
        asset: w.asset,
        bucket: 'available',
        amount: fee,
        kind: LedgerKind.withdrawalFee,
      });
    }
    // The sender's side: frozen spent into the transit account (and the fee, if any, to income).
    lines.push({ accountId: SystemAccount.transit, asset: w.asset, bucket: 'available', amount, kind: LedgerKind.withdrawalSpend });
    await postEntry(trx, { entryId: `${w.id}:settle`, nodeId, refId: w.id, lines });
    let transfer: Transfer | null = null;
    if (target.node_id === nodeId) {
      // The receiver's side, here: out of transit into its account as its internal deposit (its line refers to the
      // deposit, as a chain deposit's does, not to another client's withdrawal).
      const depositId = await recordInternalDeposit(trx, {
        withdrawalId: w.id,
        chain: w.chain,
        address: w.to_address,
        accountId: w.internal_account_id,
        nodeId,
        asset: w.asset,
        amount,
      });
      await postEntry(trx, {
        entryId: `${depositId}:credit`,
        nodeId,
        refId: depositId,
        lines: [
          { accountId: SystemAccount.transit, asset: w.asset, bucket: 'available', amount: -amount, kind: LedgerKind.deposit },
          { accountId: w.internal_account_id, asset: w.asset, bucket: 'available', amount, kind: LedgerKind.deposit },
        ],
      });
    } else {
      // On another node: a transfer tied to the withdrawal, delivered by the transfer relay (exactly once there).
      transfer = await recordInternalTransfer(trx, nodeId, {
        withdrawalId: w.id,
        clientId: w.client_id,
        fromAccountId: w.account_id,
        toAccountId: w.internal_account_id,
        toNodeId: target.node_id,
        asset: w.asset,
        amount,
      });
    }
    // The credit (same node) or the transfer carrying it (other node) is written, the withdrawal not yet moved.
    crashPoint('transrv.internal.after_credit');
    const moved = await transition(trx, {
      withdrawalId: w.id,
      to: 'confirmed',
      from: ['approved'],
      actor: `transrv:${nodeId}`,
      reason: 'settled internally: the destination is a deposit address of this wallet',
      set: { network_fee: '0' },
    });
    // Locked above and checked approved: it moves (a failure here rolls everything back).
    if (moved === null)
      throw new WalletError('CONFLICT', 'the internal withdrawal moved under its lock', { details: { withdrawalId: w.id } });
    crashPoint('transrv.internal.before_commit');
    return { kind: 'confirmed', transfer };
  });
}
