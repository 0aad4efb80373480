import { type Knex, withTransaction } from '@wallet/db';
import { WalletError, isWalletError } from '@wallet/errors';
import { AlertKind, type WithdrawalRow, invalidDestination, raiseAlert } from '@wallet/withdrawal-protocol';
import { type PayoutLimits, checkLimits } from './checkLimits.js';
import { integrityProblems } from './integrity.js';
import type { PayoutContext } from './PayoutContext.js';
import { queueResponse } from './queueResponse.js';
import type { AuditFn } from './review/Audit.js';
import { type Principal, autoApprover, mayDecide } from './review/Principal.js';
import { currentPolicy, signingControls } from './review/policyStore.js';
import { requirementOf } from './review/ReviewRules.js';
import { velocityOf } from './review/velocityOf.js';
import { whitelistState } from './review/whitelist.js';
import { type DecidedFilter, type QueueFilter, type ReviewView, loadViews, pendingReviews, reviewQuery } from './reviewView.js';
import type { SignRetries } from './SignRetries.js';
import { unpayableDestinations } from './unpayableDestinations.js';

/** What an approver saw and says. */
export type ApprovalInput = {
  /** The localhash of the withdrawal as the approver reviewed it: the approval counts only for that very withdrawal. */
  readonly localhash: string;
  readonly comment?: string | undefined;
};

/** The outcome of one approval: recorded, and whether it was the final one (the withdrawal is now approved). */
type Approved = { readonly final: boolean; readonly internal: boolean };

type ReviewLock = {
  row: WithdrawalRow;
  review: { localhash: string; decision: string | null; requested_by: string | null };
};

/**
 * The auditors' side of the payout desk, the same for every chain: the review queue and the decisions (approve,
 * reject, void). signsrv owns the decisions and approvals: a decision is one MySQL transaction over signsrv's own rows
 * (sign_requests, withdrawal_approvals, the audit log, the blockout_rsp outbox) that only reads transrv's withdrawal
 * row, under its lock (the lock the client's cancel takes, so exactly one of them wins). transrv moves the withdrawal
 * itself when the report reaches it (checked against these rows). Every decision obeys the asset's policy: the number
 * of distinct approvers its amount and 24 h velocity ask for, the client's whitelist, the hard limits; each approval is
 * bound to the localhash the approver saw.
 */
export class ReviewDesk {
  /**
   * @param sign signs an approved withdrawal's transaction (the signing queue)
   * @param retries the sender's back-off of failed signings (a voided withdrawal leaves it)
   */
  constructor(
    private readonly ctx: PayoutContext,
    private readonly limits: PayoutLimits,
    private readonly audit: AuditFn,
    private readonly retries: SignRetries,
  ) {}

  /** Withdrawals received and waiting for a decision, oldest first. */
  listPending(filter: QueueFilter, limit: number, afterId?: string): Promise<ReviewView[]> {
    return pendingReviews(this.ctx.db, filter, limit, afterId);
  }

  /** Decided withdrawals (history and search), most recently received first. */
  async listDecided(filter: DecidedFilter, limit: number, beforeId?: string): Promise<ReviewView[]> {
    const q = reviewQuery(this.ctx.db, filter).whereNotNull('r.decision').orderBy('r.withdrawal_id', 'desc').limit(limit);
    if (filter.decision !== undefined) void q.andWhere('r.decision', filter.decision);
    if (filter.status !== undefined) void q.andWhere('w.status', filter.status);
    if (filter.decidedBy !== undefined) void q.andWhere('r.decided_by', filter.decidedBy);
    if (filter.to !== undefined) void q.andWhere('w.to_address', filter.to);
    if (beforeId) void q.andWhere('r.withdrawal_id', '<', beforeId);
    return loadViews(this.ctx.db, await q);
  }

  /** @throws WalletError NOT_FOUND when signsrv has not received it */
  async get(withdrawalId: string): Promise<ReviewView> {
    const row = await reviewQuery(this.ctx.db, {}).where('r.withdrawal_id', withdrawalId).first();
    if (!row) throw new WalletError('NOT_FOUND', 'no such withdrawal in the review queue', { details: { withdrawalId } });
    return (await loadViews(this.ctx.db, [row]))[0]!;
  }

  /**
   * Records an approval. The withdrawal must still be pending_review and undecided (under the withdrawal's lock, which
   * the client's cancel takes too), must still hash to the localhash signsrv received, and that localhash must be the
   * one the approver saw. The approver may decide (an auditor or the automation API while enabled; never an admin),
   * did not request it, and has not approved it before. The destination must be payable and, where the asset's policy
   * asks for it, on the client's whitelist past its cooling-off. When the approvals given to this localhash reach
   * what the policy requires for the amount and the 24 h velocity, the withdrawal is approved: the hard limits are
   * checked and counted, the decision, the policy version and the hold are recorded, and the `approved` report is
   * queued, all in the same transaction; transrv then moves the withdrawal, and the sender signs it once the hold is
   * over and signing is not paused.
   * @throws WalletError FORBIDDEN, NOT_FOUND, WITHDRAWAL_NOT_REVIEWABLE, APPROVAL_STALE, INTEGRITY_MISMATCH,
   *   ALREADY_APPROVED, INVALID_DESTINATION, DESTINATION_NOT_WHITELISTED, LIMIT_EXCEEDED
   */
  async approve(by: Principal, withdrawalId: string, input: ApprovalInput): Promise<ReviewView> {
    await this.#approve(by, withdrawalId, input);
    return this.get(withdrawalId);
  }

  /**
   * The policy's own approvals: every undecided withdrawal (oldest first, at most `limit`) of an asset with an
   * auto-approval threshold whose amount is below it is approved by `policy:auto` when the policy allows it now
   * (velocity, whitelist, limits, an enabled client). One that does not qualify waits for auditors, and is looked at
   * again on a later pass (a whitelist entry may come out of its cooling-off).
   * @returns the ids approved
   */
  async autoApprove(limit = 100): Promise<string[]> {
    const { db, log } = this.ctx;
    const [rows] = (await db.raw(
      `SELECT w.id, w.localhash FROM sign_requests r
         JOIN withdrawals w ON w.id = r.withdrawal_id
         JOIN clients c ON c.id = w.client_id AND c.status = 'active'
         JOIN withdrawal_policies p ON p.asset = w.asset
          AND p.id = (SELECT MAX(id) FROM withdrawal_policies WHERE asset = w.asset)
        WHERE r.decision IS NULL AND w.status = 'pending_review'
          AND JSON_VALUE(p.rules, '$.autoApproveBelow') IS NOT NULL
          AND w.amount < CAST(JSON_VALUE(p.rules, '$.autoApproveBelow') AS DECIMAL(65,0))
        ORDER BY r.withdrawal_id LIMIT ?`,
      [limit],
    )) as [{ id: string; localhash: string }[]];
    const approved: string[] = [];
    for (const r of rows) {
      try {
        const outcome = await this.#approve(autoApprover, r.id, { localhash: r.localhash });
        if (outcome?.final) approved.push(r.id);
      } catch (error) {
        if (!isWalletError(error)) throw error;
        log.debug({ withdrawalId: r.id, code: error.code }, 'not auto-approved: left to auditors');
      }
    }
    return approved;
  }

  async #approve(by: Principal, withdrawalId: string, input: ApprovalInput): Promise<Approved | null> {
    const { db, relay, log } = this.ctx;
    if (!mayDecide(by.role)) throw forbidden(by, 'may not approve withdrawals');
    const comment = input.comment?.trim() || null;
    let outcome: Approved | null;
    try {
      outcome = await withTransaction(db, async (trx) => {
        if (by.role === 'automation' && !(await signingControls(trx, 'share')).automationEnabled) {
          throw forbidden(by, 'the automation API is switched off');
        }
        const { row, review } = await this.#lockForDecision(trx, withdrawalId);
        if (input.localhash !== review.localhash) {
          throw new WalletError('APPROVAL_STALE', 'the withdrawal differs from the one reviewed: not approved', {
            details: { withdrawalId, reviewed: input.localhash, current: review.localhash },
          });
        }
        const problems = integrityProblems(row, { localhash: review.localhash });
        if (problems.length > 0) {
          throw new WalletError('INTEGRITY_MISMATCH', 'the withdrawal no longer matches its localhash: not approved', {
            details: { withdrawalId, fields: problems },
          });
        }
        if (review.requested_by !== null && review.requested_by === by.id) throw forbidden(by, 'may not approve what it requested');
        // A plain read, after the withdrawal's lock (every approval of it takes that lock first, and nothing above
        // read without locking, so this transaction's snapshot starts now): it sees every approval committed before.
        // A locking read would gap-lock the empty range and deadlock with the insert of another withdrawal's approval.
        const approvals = await trx('withdrawal_approvals')
          .where({ withdrawal_id: withdrawalId })
          .select<{ approver: string; localhash: string }[]>('approver', 'localhash');
        if (approvals.some((a) => a.approver === by.id)) {
          throw new WalletError('ALREADY_APPROVED', 'you have already approved this withdrawal: another approver must', {
            details: { withdrawalId, approver: by.id },
          });
        }
        const refused = (await unpayableDestinations(trx, this.ctx.registry, [row])).get(row.id);
        if (refused !== undefined) throw invalidDestination(row.to_address, refused);
        const policy = await currentPolicy(trx, row.asset, 'share');
        if (policy.rules.requireWhitelist) {
          const listed = await whitelistState(trx, row.client_id, row.chain, row.to_address);
          if (listed.state !== 'usable') {
            throw new WalletError(
              'DESTINATION_NOT_WHITELISTED',
              `the destination is ${listed.state.replace('_', ' ')} on the client's whitelist`,
              {
                details: {
                  withdrawalId,
                  state: listed.state,
                  ...(listed.state === 'cooling_off' ? { usableAt: listed.usableAt.toISOString() } : {}),
                },
              },
            );
          }
        }
        const velocity = await velocityOf(trx, row);
        const requirement = requirementOf(policy.rules, BigInt(row.amount), velocity);
        if (by.role === 'policy' && requirement.tier !== 'auto') return null; // not the policy's to approve
        const required = Math.max(1, requirement.approvals);
        await trx('withdrawal_approvals').insert({
          withdrawal_id: withdrawalId,
          approver: by.id,
          role: by.role,
          localhash: review.localhash,
          comment,
        });
        // Only approvals of this very localhash count (an approval recorded against another one never does).
        const valid = approvals.filter((a) => a.localhash === review.localhash).length + 1;
        const final = valid >= required;
        const details = {
          localhash: review.localhash,
          asset: row.asset,
          amount: row.amount,
          to: row.to_address,
          approvals: valid,
          required,
          tier: requirement.tier,
          escalations: requirement.escalations,
          velocity24h: { account: velocity.account.toString(), client: velocity.client.toString() },
          policyId: policy.id,
          comment,
        };
        if (!final) {
          await this.audit(trx, { actor: by.id, action: 'withdrawal_approval_added', subject: withdrawalId, details });
          return { final, internal: row.internal_account_id !== null };
        }
        await checkLimits(trx, this.limits, row);
        await trx('sign_requests')
          .where({ withdrawal_id: withdrawalId })
          .update({
            decision: 'approved',
            decided_by: by.id,
            decided_at: trx.raw('CURRENT_TIMESTAMP(3)'),
            required_approvals: required,
            policy_id: policy.id,
            hold_until:
              policy.rules.holdSeconds > 0 ? trx.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND', [policy.rules.holdSeconds]) : null,
          });
        await this.audit(trx, { actor: by.id, action: 'withdrawal_approved', subject: withdrawalId, details });
        await queueResponse(trx, { type: 'approved', withdrawalId, nodeId: row.node_id, actor: by.id });
        return { final, internal: row.internal_account_id !== null };
      });
    } catch (error) {
      if (isWalletError(error, 'INTEGRITY_MISMATCH')) {
        await raiseAlert(db, log, AlertKind.integrityMismatch, withdrawalId, { fields: error.details['fields'], approver: by.id });
      }
      throw error;
    }
    if (outcome?.final) {
      relay.kick();
      log.info({ withdrawalId, approver: by.id }, 'withdrawal approved');
    } else if (outcome) {
      log.info({ withdrawalId, approver: by.id }, 'approval recorded; more approvers needed');
    }
    return outcome;
  }

  /**
   * Rejects a withdrawal with a reason, in one transaction over signsrv's rows, under the withdrawal's lock: it must be
   * pending_review and undecided (a client's cancel that won the lock has made it cancelled: then 409). transrv releases
   * the funds when the `rejected` report reaches it (checked against this decision), and the client's cancel is
   * refused from the moment this commits.
   * @throws WalletError FORBIDDEN, NOT_FOUND, WITHDRAWAL_NOT_REVIEWABLE, VALIDATION_FAILED (no reason)
   */
  async reject(by: Principal, withdrawalId: string, reason: string): Promise<ReviewView> {
    if (!mayDecide(by.role) || by.role === 'policy') throw forbidden(by, 'may not reject withdrawals');
    requireReason(reason, 'a rejection');
    await withTransaction(this.ctx.db, async (trx) => {
      if (by.role === 'automation' && !(await signingControls(trx, 'share')).automationEnabled) {
        throw forbidden(by, 'the automation API is switched off');
      }
      const { row } = await this.#lockForDecision(trx, withdrawalId);
      await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .update({ decision: 'rejected', decided_by: by.id, reason, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await this.audit(trx, {
        actor: by.id,
        action: 'withdrawal_rejected',
        subject: withdrawalId,
        details: { reason, asset: row.asset, amount: row.amount, to: row.to_address },
      });
      await queueResponse(trx, { type: 'rejected', withdrawalId, nodeId: row.node_id, reason, actor: by.id });
    });
    this.ctx.relay.kick();
    this.ctx.log.info({ withdrawalId, by: by.id }, 'withdrawal rejected');
    return this.get(withdrawalId);
  }

  /**
   * Gives up an approved withdrawal that was never signed: its transaction cannot be built (the destination refuses
   * the call, the token blocks it) and it would otherwise hold the user's funds for ever. One transaction, under the
   * withdrawal's lock (the one signing takes): the withdrawal must be approved with no transaction and no inputs
   * reserved (EVM: no nonce), so no signature of it exists anywhere; afterwards it can never be signed. The owning
   * transrv releases the funds and ends it `failed` when it applies the decision (re-checking both in MySQL).
   * @throws WalletError FORBIDDEN, NOT_FOUND, WITHDRAWAL_NOT_VOIDABLE (not approved, or already signed), VALIDATION_FAILED
   */
  async voidApproved(by: Principal, withdrawalId: string, reason: string): Promise<ReviewView> {
    if (!mayDecide(by.role) || by.role === 'policy') throw forbidden(by, 'may not void withdrawals');
    requireReason(reason, 'voiding');
    await withTransaction(this.ctx.db, async (trx) => {
      const row = await trx<WithdrawalRow>('withdrawals').where({ id: withdrawalId }).forUpdate().first();
      const review = await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .forUpdate()
        .first<{ decision: string | null } | undefined>('decision');
      if (!review || !row) throw new WalletError('NOT_FOUND', 'no such withdrawal in the review queue', { details: { withdrawalId } });
      // Locking reads: they see what a signing transaction that held the lock before us committed.
      const signed = await trx('withdrawal_txs')
        .where({ withdrawal_id: withdrawalId })
        .forUpdate()
        .first<{ txid: string } | undefined>('txid');
      // Inputs reserved (EVM: a nonce) mean a signing transaction got that far: treated as signed. Every family is
      // asked, not only the one of the row's chain: a reservation may date from another configuration.
      let reserved = false;
      for (const family of this.ctx.families.values()) reserved ||= await family.hasReservation(trx, withdrawalId);
      if (!['pending_review', 'approved'].includes(row.status) || review.decision !== 'approved' || signed || reserved) {
        const state = signed || reserved ? 'signed' : review.decision === 'approved' ? row.status : (review.decision ?? row.status);
        throw new WalletError('WITHDRAWAL_NOT_VOIDABLE', `the withdrawal is ${state}: only an approved, never signed one can be voided`, {
          details: { withdrawalId, state },
        });
      }
      await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .update({ decision: 'voided', decided_by: by.id, reason, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      // What a family prepared outside the signing lock (a UTXO build holding inputs) goes with the decision: transrv
      // applies the void only once no signature may exist.
      for (const family of this.ctx.families.values()) await family.dropUnsigned(trx, withdrawalId);
      await this.audit(trx, { actor: by.id, action: 'withdrawal_voided', subject: withdrawalId, details: { reason } });
      await queueResponse(trx, { type: 'voided', withdrawalId, nodeId: row.node_id, reason, actor: by.id });
    });
    this.retries.forget(withdrawalId);
    this.ctx.relay.kick();
    this.ctx.log.warn({ withdrawalId, by: by.id }, 'approved withdrawal voided before signing');
    return this.get(withdrawalId);
  }

  /**
   * Locks the withdrawal row (transrv's: a locking read, the lock its cancel and its report handling take first) and
   * then signsrv's review row, in that order everywhere; both must still await a decision.
   */
  async #lockForDecision(trx: Knex.Transaction, withdrawalId: string): Promise<ReviewLock> {
    const row = await trx<WithdrawalRow>('withdrawals').where({ id: withdrawalId }).forUpdate().first();
    const review = await trx('sign_requests')
      .where({ withdrawal_id: withdrawalId })
      .forUpdate()
      .first<ReviewLock['review'] | undefined>('decision', 'localhash', 'requested_by');
    if (!review || !row) throw new WalletError('NOT_FOUND', 'no such withdrawal in the review queue', { details: { withdrawalId } });
    if (review.decision !== null) throw notReviewable(withdrawalId, review.decision);
    if (row.status !== 'pending_review') throw notReviewable(withdrawalId, row.status);
    return { row, review };
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

function forbidden(by: Principal, what: string): WalletError {
  return new WalletError('FORBIDDEN', `${by.role} ${by.id} ${what}`, { details: { principal: by.id, role: by.role } });
}
