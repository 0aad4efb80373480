import type { AssetRegistry } from '@wallet/assets';
import { type Knex, withTransaction } from '@wallet/db';
import { PeriodicTask } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import { type OperatedRole, raiseAlert } from '@wallet/withdrawal-protocol';
import { type CrashPoint, noCrashPoints } from '@wallet/lifecycle';
import type { Redis } from 'ioredis';
import type { PayoutLimits } from './checkLimits.js';
import type { PayoutContext } from './PayoutContext.js';
import type { PayoutFamily } from './PayoutFamily.js';
import { PayoutSender } from './PayoutSender.js';
import { RefusalAlarms } from './RefusalAlarms.js';
import type { ResponseRelay } from './ResponseRelay.js';
import type { AuditFn } from './review/Audit.js';
import type { Principal } from './review/Principal.js';
import { type ApprovalInput, ReviewDesk } from './ReviewDesk.js';
import type { DecidedFilter, QueueFilter, ReviewView } from './reviewView.js';
import { signApproved } from './signApproved.js';
import { SigningQueue } from './SigningQueue.js';
import { SignRetries } from './SignRetries.js';
import { TxSender } from './TxSender.js';

/**
 * Addresses the wallet operates besides its hot wallets, per chain and role (fee payer, sweep, cold...): recorded in
 * `operated_addresses` at start, so no withdrawal is ever paid to one (refused at request and before signing).
 */
export type OperatedAddresses = Readonly<
  Record<string, { readonly [role in Exclude<OperatedRole, 'hot'>]?: readonly string[] | undefined }>
>;

/** Options of {@link Payouts}. */
export type PayoutsOptions = {
  readonly db: Knex;
  readonly redis: Redis;
  /** The blockout_ctx hash key. */
  readonly ctxKey: string;
  readonly registry: AssetRegistry;
  /** Per chain id, the family signsrv pays out with on it (see createPayoutFamily); closed by {@link Payouts.close}. */
  readonly families: ReadonlyMap<string, PayoutFamily>;
  readonly limits: PayoutLimits;
  /** Appends to the hash-chained audit log inside a transaction (@wallet/audit's appendAudit). */
  readonly audit: AuditFn;
  /** @default none */
  readonly operatedAddresses?: OperatedAddresses;
  readonly relay: ResponseRelay;
  readonly log: Logger;
  readonly crashPoint?: CrashPoint;
  /** A transaction not mined after this long is replaced with a higher fee (same inputs). @default 60_000 */
  readonly bumpAfterMs?: number;
  /** A sent transaction not yet mined is sent again this often (nodes drop pool entries). @default 15_000 */
  readonly rebroadcastAfterMs?: number;
  /** How often the node is asked for the receipts of recently confirmed withdrawals. @default 60_000 */
  readonly receiptCheckMs?: number;
  /** How many of the most recently confirmed withdrawals (settled within the last 24 h) that check looks at. @default 100 */
  readonly receiptCheckCount?: number;
  /** How often the sender looks for work. @default 1000 */
  readonly intervalMs?: number;
  /**
   * How often approved withdrawals are looked for to sign (once their transrv has applied the approval) and the policy
   * auto-approves what it may: a cheap query, so more often than the sender's full pass. @default 200
   */
  readonly signPollMs?: number;
};

/**
 * signsrv's payout desk: the review queue, the auditors' decisions, and the life of each approved withdrawal's
 * transaction: signed (inputs reserved by its chain's family, stored with blockout_ctx before it leaves the process),
 * broadcast, re-broadcast while unmined, replaced with a higher fee (same inputs) when stuck. What differs between
 * chains is the families' ({@link PayoutFamily}); everything here is the same for every chain.
 *
 * Nothing is voided once a signature exists: the withdrawal stays in flight, its funds frozen, until the chain
 * mines one of its transactions (the scanner reports it; the owning transrv confirms or fails it).
 */
export class Payouts {
  readonly #ctx: PayoutContext;
  readonly #o: PayoutsOptions;
  readonly #review: ReviewDesk;
  readonly #queue: SigningQueue;
  readonly #sender: PayoutSender;
  /** The sender's full passes ({@link tick}). */
  readonly #senderPasses: PeriodicTask;
  /** The quick signing passes ({@link signDue}), on a schedule of their own so a slow sender pass does not hold them up. */
  readonly #signingPasses: PeriodicTask;

  constructor(options: PayoutsOptions) {
    this.#o = options;
    const ctx: PayoutContext = {
      db: options.db,
      redis: options.redis,
      ctxKey: options.ctxKey,
      registry: options.registry,
      families: options.families,
      relay: options.relay,
      log: options.log,
      crash: options.crashPoint ?? noCrashPoints,
      audit: options.audit,
    };
    this.#ctx = ctx;
    const rebroadcastAfterMs = options.rebroadcastAfterMs ?? 15_000;
    const alarms = new RefusalAlarms((kind, withdrawalId, details) => raiseAlert(ctx.db, ctx.log, kind, withdrawalId, details));
    const retries = new SignRetries();
    const txs = new TxSender(ctx, alarms, rebroadcastAfterMs);
    this.#queue = new SigningQueue((ids) => signApproved(ctx, txs, ids));
    const sign = (id: string) => this.#queue.sign(id);
    this.#review = new ReviewDesk(ctx, options.limits, options.audit, retries);
    this.#sender = new PayoutSender(
      ctx,
      {
        bumpAfterMs: options.bumpAfterMs ?? 60_000,
        rebroadcastAfterMs,
        receiptCheckMs: options.receiptCheckMs ?? 60_000,
        receiptCheckCount: options.receiptCheckCount ?? 100,
      },
      txs,
      sign,
      retries,
      alarms,
    );
    this.#senderPasses = new PeriodicTask({
      name: 'payout-sender',
      log: ctx.log,
      intervalMs: options.intervalMs ?? 1000,
      // On every withdrawal's path: once MySQL or a node is back, the next pass is at most this far off.
      maxBackoffMs: 5000,
      run: () => this.tick(),
    });
    this.#signingPasses = new PeriodicTask({
      name: 'signing',
      log: ctx.log,
      intervalMs: options.signPollMs ?? 200,
      maxBackoffMs: 5000,
      run: () => this.signDue(),
    });
  }

  /**
   * Records the hot wallet addresses for the scanners (the current one active; earlier ones stay watched, so what
   * they still have in flight settles and anything else they send is an alarm) and the operated addresses, then lets
   * each family set up its reservations from its node (EVM: the nonce allocator).
   */
  async init(): Promise<void> {
    const { db, log, families } = this.#ctx;
    for (const [chainId, family] of families) {
      await withTransaction(db, async (trx) => {
        await trx.raw(
          `INSERT INTO hot_wallets (chain, address, active) VALUES (?, ?, 1)
           ON DUPLICATE KEY UPDATE active = 1, updated_at = CURRENT_TIMESTAMP(3)`,
          [chainId, family.address],
        );
        await trx('hot_wallets').where({ chain: chainId }).whereNot({ address: family.address }).update({ active: false });
      });
    }
    for (const [chainId, byRole] of Object.entries(this.#o.operatedAddresses ?? {})) {
      const rows = Object.entries(byRole).flatMap(([role, addresses]) => (addresses ?? []).map((address) => [chainId, address, role]));
      if (rows.length === 0) continue;
      // Never deleted when dropped from the configuration: an address that was ours is never a customer's.
      await db.raw(
        `INSERT INTO operated_addresses (chain, address, role) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}
         ON DUPLICATE KEY UPDATE role = VALUES(role)`,
        rows.flat(),
      );
      log.info({ chain: chainId, operated: rows.length }, 'operated addresses recorded');
    }
    for (const family of families.values()) await family.init();
  }

  /** Starts the sender's passes, every `intervalMs`, and the signing passes, every `signPollMs`. */
  start(): void {
    this.#senderPasses.start();
    this.#signingPasses.start();
  }

  /**
   * The quick pass: the policy's auto-approvals, then the signing of approved withdrawals whose transrv has applied
   * the approval (past their hold, while signing is not paused).
   */
  async signDue(): Promise<void> {
    await this.#review.autoApprove();
    await this.#sender.signUnsigned();
  }

  /** Stops both schedules, after the passes running. */
  async stop(): Promise<void> {
    await Promise.all([this.#senderPasses.stop(), this.#signingPasses.stop()]);
  }

  /** Closes every family: wipes its key, closes its node connection. Call after {@link stop}. */
  async close(): Promise<void> {
    for (const family of this.#ctx.families.values()) await family.close();
  }

  /** Withdrawals received and waiting for a decision, oldest first. */
  listPending(filter: QueueFilter, limit: number, afterId?: string): Promise<ReviewView[]> {
    return this.#review.listPending(filter, limit, afterId);
  }

  /** {@link ReviewDesk.listDecided} */
  listDecided(filter: DecidedFilter, limit: number, beforeId?: string): Promise<ReviewView[]> {
    return this.#review.listDecided(filter, limit, beforeId);
  }

  /** @throws WalletError NOT_FOUND when signsrv has not received it */
  get(withdrawalId: string): Promise<ReviewView> {
    return this.#review.get(withdrawalId);
  }

  /** {@link ReviewDesk.approve} */
  approve(by: Principal, withdrawalId: string, input: ApprovalInput): Promise<ReviewView> {
    return this.#review.approve(by, withdrawalId, input);
  }

  /** {@link ReviewDesk.autoApprove} */
  autoApprove(limit?: number): Promise<string[]> {
    return this.#review.autoApprove(limit);
  }

  /** {@link ReviewDesk.reject} */
  reject(by: Principal, withdrawalId: string, reason: string): Promise<ReviewView> {
    return this.#review.reject(by, withdrawalId, reason);
  }

  /** {@link ReviewDesk.voidApproved} */
  voidApproved(by: Principal, withdrawalId: string, reason: string): Promise<ReviewView> {
    return this.#review.voidApproved(by, withdrawalId, reason);
  }

  /**
   * Builds, signs and stores an approved withdrawal's transaction, then sends it; resolves once it was sent (or
   * sending failed: the sender retries). Concurrent calls are signed together ({@link SigningQueue}, {@link signApproved}).
   * @throws WalletError INTEGRITY_MISMATCH, INVALID_DESTINATION, CLIENT_DISABLED; the node's errors for this withdrawal
   */
  sign(withdrawalId: string): Promise<void> {
    return this.#queue.sign(withdrawalId);
  }

  /** {@link PayoutSender.flagDestinations} */
  flagDestinations(limit?: number): Promise<number> {
    return this.#sender.flagDestinations(limit);
  }

  /** {@link PayoutSender.checkSettledReceipts} */
  checkSettledReceipts(): Promise<string[]> {
    return this.#sender.checkSettledReceipts();
  }

  /** One pass of the sender ({@link PayoutSender.tick}). */
  tick(): Promise<void> {
    return this.#sender.tick();
  }
}
