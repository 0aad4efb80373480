import { withTransaction, type Knex } from '@wallet/db';
import { WalletError, isWalletError } from '@wallet/errors';
import { releaseWithdrawal, transition } from '@wallet/withdrawals';
import { AlertKind, type WithdrawalRow, invalidDestination, raiseAlert } from '@wallet/withdrawal-protocol';
import { type PayoutLimits, checkLimits } from './checkLimits.js';
import { integrityProblems } from './integrity.js';
import type { PayoutContext } from './PayoutContext.js';
import { queueResponse } from './queueResponse.js';
import { type ReviewView, reviewQuery, toView } from './reviewView.js';
import type { SignRetries } from './SignRetries.js';
import { unpayableDestinations } from './unpayableDestinations.js';

/**
 * The auditors' side of the payout desk, the same for every chain: the review queue and the decisions (approve,
 * reject, void), each one MySQL transaction that re-checks the withdrawal against the localhash signsrv received,
 * reports on blockout_rsp through the outbox, and, for an approval, the asset's limits and the destination.
 */
export class ReviewDesk {
  /**
   * @param sign signs an approved withdrawal's transaction (the signing queue)
   * @param retries the sender's back-off of failed signings (a voided withdrawal leaves it)
   */
  constructor(
    private readonly ctx: PayoutContext,
    private readonly limits: PayoutLimits,
    private readonly sign: (withdrawalId: string) => Promise<void>,
    private readonly retries: SignRetries,
  ) {}

  /** Withdrawals received and waiting for a decision, oldest first. */
  async listPending(limit: number, afterId?: string): Promise<ReviewView[]> {
    const q = reviewQuery(this.ctx.db)
      .whereNull('r.decision')
      .andWhere('w.status', 'pending_review')
      .orderBy('r.withdrawal_id')
      .limit(limit);
    if (afterId) void q.andWhere('r.withdrawal_id', '>', afterId);
    return (await q).map(toView);
  }

  /** @throws WalletError NOT_FOUND when signsrv has not received it */
  async get(withdrawalId: string): Promise<ReviewView> {
    const row = await reviewQuery(this.ctx.db).where('r.withdrawal_id', withdrawalId).first();
    if (!row) throw new WalletError('NOT_FOUND', 'no such withdrawal in the review queue', { details: { withdrawalId } });
    return toView(row);
  }

  /**
   * Approves a withdrawal and signs its transaction. The approval is one transaction: the withdrawal must still be
   * pending_review (the same conditional UPDATE the client's cancel uses decides the race), its row must still hash
   * to the localhash signsrv received, its destination must still be payable (not an address the wallet operates
   * now: reject it), and the asset's limits must allow it. Signing follows at once; if it cannot happen now (node
   * down, fees above the cap), the sender retries it. An internal withdrawal is not signed: its transrv settles it in
   * the ledger on the `approved` decision.
   * @throws WalletError NOT_FOUND, WITHDRAWAL_NOT_REVIEWABLE, INTEGRITY_MISMATCH, INVALID_DESTINATION, LIMIT_EXCEEDED
   */
  async approve(auditor: string, withdrawalId: string): Promise<ReviewView> {
    const { db, relay, log } = this.ctx;
    let internal = false;
    try {
      await withTransaction(db, async (trx) => {
        const { row } = await this.#lockForDecision(trx, withdrawalId);
        internal = row.internal_account_id !== null;
        const refused = (await unpayableDestinations(trx, this.ctx.registry, [row])).get(row.id);
        if (refused !== undefined) throw invalidDestination(row.to_address, refused);
        await checkLimits(trx, this.limits, row);
        const moved = await transition(trx, { withdrawalId, to: 'approved', actor: `auditor:${auditor}` });
        if (moved === null) throw notReviewable(withdrawalId, row.status);
        await trx('sign_requests')
          .where({ withdrawal_id: withdrawalId })
          .update({ decision: 'approved', decided_by: `auditor:${auditor}`, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
        await queueResponse(trx, { type: 'approved', withdrawalId, nodeId: row.node_id, actor: `auditor:${auditor}` });
      });
    } catch (error) {
      if (isWalletError(error, 'INTEGRITY_MISMATCH')) {
        await raiseAlert(db, log, AlertKind.integrityMismatch, withdrawalId, { fields: error.details['fields'], auditor });
      }
      throw error;
    }
    relay.kick();
    log.info({ withdrawalId, auditor }, 'withdrawal approved');
    if (internal) return this.get(withdrawalId); // settled in the ledger by its transrv: nothing to sign
    try {
      await this.sign(withdrawalId);
    } catch (error) {
      log.warn({ err: error, withdrawalId }, 'approved; signing deferred to the sender');
    }
    return this.get(withdrawalId);
  }

  /**
   * Rejects a withdrawal with a reason, and releases its funds, in one transaction. The rejection races the client's
   * cancel for the same row, so it is decided as approval is: by the conditional UPDATE out of pending_review (the one
   * the cancel makes), with the release, the decision and the `rejected` report in the same transaction. Exactly one of
   * reject and cancel succeeds; the other finds the withdrawal rejected or cancelled (409). The owning transrv then
   * only acknowledges the report (the release is already there: `releaseWithdrawal` does nothing twice).
   * @throws WalletError NOT_FOUND, WITHDRAWAL_NOT_REVIEWABLE, VALIDATION_FAILED (no reason)
   */
  async reject(auditor: string, withdrawalId: string, reason: string): Promise<ReviewView> {
    requireReason(reason, 'a rejection');
    await withTransaction(this.ctx.db, async (trx) => {
      const { row } = await this.#lockForDecision(trx, withdrawalId, false);
      const released = await releaseWithdrawal(trx, row, 'rejected', row.node_id, `auditor:${auditor}`, reason);
      if (!released) throw notReviewable(withdrawalId, row.status);
      await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .update({ decision: 'rejected', decided_by: `auditor:${auditor}`, reason, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await queueResponse(trx, { type: 'rejected', withdrawalId, nodeId: row.node_id, reason, actor: `auditor:${auditor}` });
    });
    this.ctx.relay.kick();
    this.ctx.log.info({ withdrawalId, auditor }, 'withdrawal rejected');
    return this.get(withdrawalId);
  }

  /**
   * Gives up an approved withdrawal that was never signed: its transaction cannot be built (the destination refuses
   * the call, the token blocks it) and it would otherwise hold the user's funds for ever. One transaction, under the
   * withdrawal's lock (the one signing takes): the withdrawal must be approved with no transaction and no inputs
   * reserved (EVM: no nonce), so no signature of it exists anywhere; afterwards it can never be signed. The owning
   * transrv releases the funds and ends it `failed` when it applies the decision (re-checking both in MySQL).
   * @throws WalletError NOT_FOUND, WITHDRAWAL_NOT_VOIDABLE (not approved, or already signed), VALIDATION_FAILED
   */
  async voidApproved(auditor: string, withdrawalId: string, reason: string): Promise<ReviewView> {
    requireReason(reason, 'voiding');
    await withTransaction(this.ctx.db, async (trx) => {
      const review = await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .forUpdate()
        .first<{ decision: string | null } | undefined>('decision');
      if (!review) throw new WalletError('NOT_FOUND', 'no such withdrawal in the review queue', { details: { withdrawalId } });
      const row = await trx<WithdrawalRow>('withdrawals').where({ id: withdrawalId }).forUpdate().first();
      if (!row) throw new WalletError('NOT_FOUND', 'no such withdrawal', { details: { withdrawalId } });
      // Locking reads: they see what a signing transaction that held the lock before us committed.
      const signed = await trx('withdrawal_txs')
        .where({ withdrawal_id: withdrawalId })
        .forUpdate()
        .first<{ txid: string } | undefined>('txid');
      // Inputs reserved (EVM: a nonce) mean a signing transaction got that far: treated as signed. Every family is
      // asked, not only the one of the row's chain: a reservation may date from another configuration.
      let reserved = false;
      for (const family of this.ctx.families.values()) reserved ||= await family.hasReservation(trx, withdrawalId);
      if (row.status !== 'approved' || review.decision !== 'approved' || signed || reserved) {
        const state = signed || reserved ? 'signed' : review.decision === 'approved' ? row.status : (review.decision ?? row.status);
        throw new WalletError('WITHDRAWAL_NOT_VOIDABLE', `the withdrawal is ${state}: only an approved, never signed one can be voided`, {
          details: { withdrawalId, state },
        });
      }
      await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .update({ decision: 'voided', decided_by: `auditor:${auditor}`, reason, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await queueResponse(trx, { type: 'voided', withdrawalId, nodeId: row.node_id, reason, actor: `auditor:${auditor}` });
    });
    this.retries.forget(withdrawalId);
    this.ctx.relay.kick();
    this.ctx.log.warn({ withdrawalId, auditor }, 'approved withdrawal voided before signing');
    return this.get(withdrawalId);
  }

  async #lockForDecision(trx: Knex.Transaction, withdrawalId: string, checkIntegrity = true): Promise<{ row: WithdrawalRow }> {
    const review = await trx('sign_requests')
      .where({ withdrawal_id: withdrawalId })
      .forUpdate()
      .first<{ decision: string | null; localhash: string } | undefined>('decision', 'localhash');
    if (!review) throw new WalletError('NOT_FOUND', 'no such withdrawal in the review queue', { details: { withdrawalId } });
    const row = await trx<WithdrawalRow>('withdrawals').where({ id: withdrawalId }).forUpdate().first();
    if (!row) throw new WalletError('NOT_FOUND', 'no such withdrawal', { details: { withdrawalId } });
    if (review.decision !== null) throw notReviewable(withdrawalId, review.decision);
    if (row.status !== 'pending_review') throw notReviewable(withdrawalId, row.status);
    if (checkIntegrity) {
      const problems = integrityProblems(row, { localhash: review.localhash });
      if (problems.length > 0) {
        throw new WalletError('INTEGRITY_MISMATCH', 'the withdrawal no longer matches its localhash: not approved', {
          details: { withdrawalId, fields: problems },
        });
      }
    }
    return { row };
  }
}

/** @throws WalletError VALIDATION_FAILED when an auditor's reason is blank (the audit trail needs one) */
function requireReason(reason: string, what: string): void {
  if (reason.trim().length === 0) throw new WalletError('VALIDATION_FAILED', `${what} needs a reason`, { details: { field: 'reason' } });
}

function notReviewable(withdrawalId: string, state: string): WalletError {
  return new WalletError('WITHDRAWAL_NOT_REVIEWABLE', `the withdrawal is ${state}, not awaiting review`, {
    details: { withdrawalId, state },
  });
}
