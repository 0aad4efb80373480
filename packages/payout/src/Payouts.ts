import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import { type EvmAdapter, chainFamily } from '@wallet/chains';
import { type Knex, withTransaction } from '@wallet/db';
import { WalletError, isWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import { type EvmHotWallet, encodeErc20Transfer, parseSignedEip1559 } from '@wallet/signer';
import {
  AlertKind,
  type CrashPoint,
  type OperatedRole,
  type WithdrawalRow,
  invalidDestination,
  noCrashPoints,
  operatedRoles,
  raiseAlert,
  raiseAlertOnce,
  releaseWithdrawal,
  transition,
} from '@wallet/withdrawals';
import type { Redis } from 'ioredis';
import type { ResponseRelay } from './ResponseRelay.js';
import { allocateNonces, initNonceAllocator } from './allocateNonce.js';
import { integrityProblems } from './integrity.js';
import { queueResponse } from './queueResponse.js';

/** One EVM chain signsrv pays out on. */
export type PayoutChain = {
  readonly spec: ChainSpec;
  readonly adapter: EvmAdapter;
  readonly wallet: EvmHotWallet;
  /** The most signsrv will ever offer per gas (maxFeePerGas), however busy the chain. */
  readonly maxFeePerGas: bigint;
};

/**
 * Addresses the wallet operates besides its hot wallets, per chain and role (fee payer, sweep, cold...): recorded in
 * `operated_addresses` at start, so no withdrawal is ever paid to one (refused at request and before signing).
 */
export type OperatedAddresses = Readonly<
  Record<string, { readonly [role in Exclude<OperatedRole, 'hot'>]?: readonly string[] | undefined }>
>;

/** Per asset, in base units: the largest single withdrawal, and the most approved per UTC day. */
export type PayoutLimits = Readonly<Record<string, { readonly perWithdrawal?: bigint | undefined; readonly daily?: bigint | undefined }>>;

export type PayoutsOptions = {
  readonly db: Knex;
  readonly redis: Redis;
  /** The blockout_ctx hash key. */
  readonly ctxKey: string;
  readonly registry: AssetRegistry;
  readonly chains: ReadonlyMap<string, PayoutChain>;
  readonly limits: PayoutLimits;
  /** @default none */
  readonly operatedAddresses?: OperatedAddresses;
  readonly relay: ResponseRelay;
  readonly log: Logger;
  readonly crashPoint?: CrashPoint;
  /** A transaction not mined after this long is replaced with higher fees (same nonce). @default 60_000 */
  readonly bumpAfterMs?: number;
  /** A sent transaction not yet mined is sent again this often (nodes drop pool entries). @default 15_000 */
  readonly rebroadcastAfterMs?: number;
  /** How much a replacement raises both fee fields, in percent (nodes want at least 10). @default 25 */
  readonly bumpPercent?: number;
  /** How often the node is asked for the receipts of recently confirmed withdrawals. @default 60_000 */
  readonly receiptCheckMs?: number;
  /** How many of the most recently confirmed withdrawals (settled within the last 24 h) that check looks at. @default 100 */
  readonly receiptCheckCount?: number;
  /** How often the sender looks for work. @default 1000 */
  readonly intervalMs?: number;
};

/** A withdrawal under review, as auditors see it: always read from MySQL. */
export type ReviewView = {
  readonly withdrawalId: string;
  readonly accountId: string;
  readonly nodeId: string;
  readonly chain: string;
  readonly asset: string;
  readonly to: string;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly localhash: string;
  readonly status: string;
  readonly decision: 'approved' | 'rejected' | 'voided' | null;
  readonly decidedBy: string | null;
  readonly reason: string | null;
  readonly txid: string | null;
  readonly nonce: number | null;
  /**
   * The withdrawal's client is disabled by ops: an approved withdrawal of it is not signed until the client is
   * enabled again (then the sender signs it on its next pass).
   */
  readonly clientDisabled: boolean;
  /**
   * The destination is a deposit address of this wallet: once approved, the owning transrv credits `internalAccountId`
   * in the ledger. Nothing is ever signed or sent for it.
   */
  readonly internal: boolean;
  readonly internalAccountId: string | null;
  /**
   * Whether the destination had code (a contract) when signsrv received the request: allowed, but worth a look (a
   * contract may refuse or forward what it is sent). null: not looked up yet (the node was unreachable), or internal.
   */
  readonly destinationIsContract: boolean | null;
  readonly receivedAt: Date;
  readonly createdAt: Date;
};

type Call = { to: string; value: bigint; data: string };
type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };

type TxRow = {
  chain: string;
  txid: string;
  withdrawal_id: string;
  attempt: number;
  from_address: string;
  nonce: string;
  raw: string;
  gas_limit: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  created_at: Date;
  broadcast_at: Date | null;
  last_broadcast_at: Date | null;
};

/** A withdrawal's latest transaction, with what sending it needs. */
type InFlightTx = TxRow & { localhash: string; node_id: string };

// Ages of a `withdrawal_txs t` row in milliseconds, computed by MySQL from the times it wrote itself, so no clock of
// this process is ever compared with the database's. Since it was last sent (or signed, if it never was):
const SINCE_SENT_MS =
  'TIMESTAMPDIFF(MICROSECOND, COALESCE(t.last_broadcast_at, t.broadcast_at, t.created_at), CURRENT_TIMESTAMP(3)) DIV 1000';
// Since it was signed:
const AGE_MS = 'TIMESTAMPDIFF(MICROSECOND, t.created_at, CURRENT_TIMESTAMP(3)) DIV 1000';

type ReviewRow = WithdrawalRow & {
  decision: 'approved' | 'rejected' | 'voided' | null;
  decided_by: string | null;
  sr_reason: string | null;
  received_at: Date;
  tx_txid: string | null;
  tx_nonce: string | null;
  client_status: string | null;
  destination_is_contract: number | null;
};

/**
 * signsrv's payout desk: the review queue, the auditors' decisions, and the life of each approved withdrawal's
 * transaction: signed (nonce from the MySQL allocator, stored with blockout_ctx before it leaves the process),
 * broadcast, re-broadcast while unmined, replaced with higher fees (same nonce) when stuck.
 *
 * Nothing is voided once a signature exists: the withdrawal stays in flight, its funds frozen, until the chain
 * mines one of its transactions (the scanner reports it; the owning transrv confirms or fails it).
 */
export class Payouts {
  readonly #o: PayoutsOptions;
  readonly #crash: CrashPoint;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  /** Withdrawals waiting for the next signing transaction, and whether one is running. */
  readonly #signQueue: { id: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #signing = false;
  /** Transactions being sent right now (approval and the sender's pass must not both send one). */
  readonly #sending = new Set<string>();
  /** Withdrawals whose transaction could not be built or sent (e.g. it would revert), with when that was last alarmed. */
  readonly #alarmed = new Map<string, number>();
  /** Approved withdrawals whose signing failed: how often, and not before when to try again. */
  readonly #signRetry = new Map<string, { failures: number; at: number }>();
  readonly #bumpAfterMs: number;
  readonly #rebroadcastAfterMs: number;
  /** When the receipts of recently confirmed withdrawals were last checked (this process's clock: a cadence only). */
  #receiptsCheckedAt = 0;

  constructor(options: PayoutsOptions) {
    this.#o = options;
    this.#crash = options.crashPoint ?? noCrashPoints;
    this.#bumpAfterMs = options.bumpAfterMs ?? 60_000;
    this.#rebroadcastAfterMs = options.rebroadcastAfterMs ?? 15_000;
  }

  /**
   * Records the hot wallet addresses for the scanners (the current one active; earlier ones stay watched, so what
   * they still have in flight settles and anything else they send is an alarm), and sets up each one's nonce
   * allocator from its node.
   */
  async init(): Promise<void> {
    const { db, log } = this.#o;
    for (const [chainId, c] of this.#o.chains) {
      await withTransaction(db, async (trx) => {
        await trx.raw(
          `INSERT INTO hot_wallets (chain, address, active) VALUES (?, ?, 1)
           ON DUPLICATE KEY UPDATE active = 1, updated_at = CURRENT_TIMESTAMP(3)`,
          [chainId, c.wallet.address],
        );
        await trx('hot_wallets').where({ chain: chainId }).whereNot({ address: c.wallet.address }).update({ active: false });
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
    for (const [chainId, c] of this.#o.chains) {
      const { next } = await this.#syncNonces(chainId, c);
      log.info({ chain: chainId, hotWallet: c.wallet.address, nextNonce: next }, 'hot wallet ready');
    }
  }

  /**
   * Moves a hot wallet's allocator forward when the chain has mined more of its transactions than signsrv ever
   * numbered: something else sent from the hot wallet (alarm). Without this, every later withdrawal would be
   * signed with a nonce already used.
   * @returns the allocator's next nonce, and the chain's: the nonce of the hot wallet's next transaction to be mined
   */
  async #syncNonces(chainId: string, c: PayoutChain): Promise<{ next: number; chainNonce: number }> {
    const chainNonce = await c.adapter.nonceOf(c.wallet.address, 'latest');
    const { next, chainAheadBy } = await initNonceAllocator(this.#o.db, chainId, c.wallet.address, chainNonce);
    if (chainAheadBy > 0) {
      await raiseAlert(this.#o.db, this.#o.log, AlertKind.nonceAhead, null, {
        chain: chainId,
        address: c.wallet.address,
        chainNonce,
        aheadBy: chainAheadBy,
      });
    }
    return { next, chainNonce };
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (this.#stopped) return;
      this.#running = this.#running.then(() =>
        this.tick().catch((error: unknown) => this.#o.log.error({ err: error }, 'payout sender pass failed; retrying')),
      );
    }, this.#o.intervalMs ?? 1000);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  // ------------------------------------------------------------------ review

  /** Withdrawals received and waiting for a decision, oldest first. */
  async listPending(limit: number, afterId?: string): Promise<ReviewView[]> {
    const q = this.#reviewQuery().whereNull('r.decision').andWhere('w.status', 'pending_review').orderBy('r.withdrawal_id').limit(limit);
    if (afterId) void q.andWhere('r.withdrawal_id', '>', afterId);
    return (await q).map(toView);
  }

  /** @throws WalletError NOT_FOUND when signsrv has not received it */
  async get(withdrawalId: string): Promise<ReviewView> {
    const row = await this.#reviewQuery().where('r.withdrawal_id', withdrawalId).first();
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
    const { db, relay } = this.#o;
    let internal = false;
    try {
      await withTransaction(db, async (trx) => {
        const { row } = await this.#lockForDecision(trx, withdrawalId);
        internal = row.internal_account_id !== null;
        const refused = (await this.#unpayableDestinations(trx, [row])).get(row.id);
        if (refused !== undefined) throw invalidDestination(row.to_address, refused);
        await this.#checkLimits(trx, row);
        const moved = await transition(trx, { withdrawalId, to: 'approved', actor: `auditor:${auditor}` });
        if (moved === null) throw notReviewable(withdrawalId, row.status);
        await trx('sign_requests')
          .where({ withdrawal_id: withdrawalId })
          .update({ decision: 'approved', decided_by: `auditor:${auditor}`, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
        await queueResponse(trx, { type: 'approved', withdrawalId, nodeId: row.node_id, actor: `auditor:${auditor}` });
      });
    } catch (error) {
      if (isWalletError(error, 'INTEGRITY_MISMATCH')) {
        await raiseAlert(db, this.#o.log, AlertKind.integrityMismatch, withdrawalId, { fields: error.details['fields'], auditor });
      }
      throw error;
    }
    relay.kick();
    this.#o.log.info({ withdrawalId, auditor }, 'withdrawal approved');
    if (internal) return this.get(withdrawalId); // settled in the ledger by its transrv: nothing to sign
    try {
      await this.sign(withdrawalId);
    } catch (error) {
      this.#o.log.warn({ err: error, withdrawalId }, 'approved; signing deferred to the sender');
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
    await withTransaction(this.#o.db, async (trx) => {
      const { row } = await this.#lockForDecision(trx, withdrawalId, false);
      const released = await releaseWithdrawal(trx, row, 'rejected', row.node_id, `auditor:${auditor}`, reason);
      if (!released) throw notReviewable(withdrawalId, row.status);
      await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .update({ decision: 'rejected', decided_by: `auditor:${auditor}`, reason, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await queueResponse(trx, { type: 'rejected', withdrawalId, nodeId: row.node_id, reason, actor: `auditor:${auditor}` });
    });
    this.#o.relay.kick();
    this.#o.log.info({ withdrawalId, auditor }, 'withdrawal rejected');
    return this.get(withdrawalId);
  }

  /**
   * Gives up an approved withdrawal that was never signed: its transaction cannot be built (the destination refuses
   * the call, the token blocks it) and it would otherwise hold the user's funds for ever. One transaction, under the
   * withdrawal's lock (the one signing takes): the withdrawal must be approved with no transaction and no nonce, so no
   * signature of it exists anywhere; afterwards it can never be signed. The owning transrv releases the funds and
   * ends it `failed` when it applies the decision (re-checking both in MySQL).
   * @throws WalletError NOT_FOUND, WITHDRAWAL_NOT_VOIDABLE (not approved, or already signed), VALIDATION_FAILED
   */
  async voidApproved(auditor: string, withdrawalId: string, reason: string): Promise<ReviewView> {
    requireReason(reason, 'voiding');
    await withTransaction(this.#o.db, async (trx) => {
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
      const nonce = await trx('nonce_assignments')
        .where({ withdrawal_id: withdrawalId })
        .forUpdate()
        .first<{ nonce: string } | undefined>('nonce');
      if (row.status !== 'approved' || review.decision !== 'approved' || signed || nonce) {
        const state = signed || nonce ? 'signed' : review.decision === 'approved' ? row.status : (review.decision ?? row.status);
        throw new WalletError('WITHDRAWAL_NOT_VOIDABLE', `the withdrawal is ${state}: only an approved, never signed one can be voided`, {
          details: { withdrawalId, state },
        });
      }
      await trx('sign_requests')
        .where({ withdrawal_id: withdrawalId })
        .update({ decision: 'voided', decided_by: `auditor:${auditor}`, reason, decided_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      await queueResponse(trx, { type: 'voided', withdrawalId, nodeId: row.node_id, reason, actor: `auditor:${auditor}` });
    });
    this.#signRetry.delete(withdrawalId);
    this.#o.relay.kick();
    this.#o.log.warn({ withdrawalId, auditor }, 'approved withdrawal voided before signing');
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

  async #checkLimits(trx: Knex.Transaction, row: WithdrawalRow): Promise<void> {
    const limit = this.#o.limits[row.asset];
    if (!limit) return;
    const amount = BigInt(row.amount);
    if (limit.perWithdrawal !== undefined && amount > limit.perWithdrawal) {
      throw new WalletError('LIMIT_EXCEEDED', `above the per-withdrawal limit of ${row.asset}`, {
        details: { asset: row.asset, limit: limit.perWithdrawal.toString(), kind: 'per_withdrawal' },
      });
    }
    if (limit.daily === undefined) return;
    const day = new Date().toISOString().slice(0, 10);
    await trx.raw('INSERT IGNORE INTO approval_totals (asset, day, total) VALUES (?, ?, 0)', [row.asset, day]);
    const [rows] = (await trx.raw('SELECT CAST(total AS CHAR) AS total FROM approval_totals WHERE asset = ? AND day = ? FOR UPDATE', [
      row.asset,
      day,
    ])) as [{ total: string }[]];
    const total = BigInt(rows[0]!.total);
    if (total + amount > limit.daily) {
      throw new WalletError('LIMIT_EXCEEDED', `above the daily limit of ${row.asset}`, {
        details: { asset: row.asset, limit: limit.daily.toString(), approvedToday: total.toString(), kind: 'daily' },
      });
    }
    await trx.raw('UPDATE approval_totals SET total = total + CAST(? AS DECIMAL(65,0)) WHERE asset = ? AND day = ?', [
      amount.toString(),
      row.asset,
      day,
    ]);
  }

  /**
   * Looks up whether the destinations of received, undecided withdrawals have code (`eth_getCode`), for the reviewers'
   * `destinationIsContract`: after the request was accepted (the client's request waits for no chain call), on
   * signsrv's side where the chain's node is at hand. Those the node could not answer stay unknown (null) and are
   * looked up again on the sender's next pass.
   * @returns how many were flagged
   */
  async flagDestinations(limit = 100): Promise<number> {
    const { db, log } = this.#o;
    const rows = await db('sign_requests as r')
      .join('withdrawals as w', 'w.id', 'r.withdrawal_id')
      .whereNull('r.destination_is_contract')
      .whereNull('r.decision')
      .whereNull('w.internal_account_id')
      .orderBy('r.withdrawal_id')
      .limit(limit)
      .select<{ id: string; chain: string; to_address: string }[]>('w.id', 'w.chain', 'w.to_address');
    let flagged = 0;
    await Promise.all(
      rows.map(async (r) => {
        const chain = this.#o.chains.get(r.chain);
        if (!chain) return;
        try {
          const isContract = await chain.adapter.hasCode(r.to_address);
          await db('sign_requests')
            .where({ withdrawal_id: r.id })
            .whereNull('destination_is_contract')
            .update({ destination_is_contract: isContract });
          flagged++;
        } catch (error) {
          log.warn({ err: error, withdrawalId: r.id }, 'could not look up whether the destination is a contract; retrying');
        }
      }),
    );
    return flagged;
  }

  /**
   * Which of these withdrawals must not be paid on chain as they stand (the re-check before approving and signing: an
   * address may have become one the wallet operates after the request was screened). Internal ones are never paid
   * on chain and are not looked at.
   * @returns per refused withdrawal, why
   */
  async #unpayableDestinations(
    trx: Knex.Transaction,
    rows: readonly WithdrawalRow[],
  ): Promise<Map<string, 'zero_address' | 'reserved_address' | 'operated_address'>> {
    const refused = new Map<string, 'zero_address' | 'reserved_address' | 'operated_address'>();
    const external = rows.filter((r) => r.internal_account_id === null);
    for (const chainId of new Set(external.map((r) => r.chain))) {
      const group = external.filter((r) => r.chain === chainId);
      const operated = await operatedRoles(
        trx,
        chainId,
        group.map((r) => r.to_address),
      );
      for (const r of group) {
        const reserved = chainFamily(this.#o.registry.chain(chainId)).reservedDestination(r.to_address);
        if (reserved !== null) refused.set(r.id, reserved);
        else if (operated.has(r.to_address.toLowerCase())) refused.set(r.id, 'operated_address');
      }
    }
    return refused;
  }

  #reviewQuery() {
    const { db } = this.#o;
    return (
      db('sign_requests as r')
        .join('withdrawals as w', 'w.id', 'r.withdrawal_id')
        .leftJoin('nonce_assignments as n', 'n.withdrawal_id', 'r.withdrawal_id')
        .leftJoin(
          db.raw('(SELECT withdrawal_id, MAX(attempt) AS attempt FROM withdrawal_txs GROUP BY withdrawal_id) AS la'),
          'la.withdrawal_id',
          'r.withdrawal_id',
        )
        .leftJoin('withdrawal_txs as t', function () {
          this.on('t.withdrawal_id', '=', 'la.withdrawal_id').andOn('t.attempt', '=', 'la.attempt');
        })
        // accountsrv owns clients; signsrv only reads a client's status (see #signBatch).
        .leftJoin('clients as c', 'c.id', 'w.client_id')
        .select<ReviewRow[]>(
          'w.*',
          'c.status as client_status',
          'r.decision',
          'r.decided_by',
          'r.reason as sr_reason',
          'r.received_at',
          'r.destination_is_contract',
          't.txid as tx_txid',
          'n.nonce as tx_nonce',
        )
    );
  }

  // ------------------------------------------------------------------ signing and sending

  /**
   * Builds, signs and stores the transaction of an approved withdrawal, then sends it; resolves once it was sent
   * (or sending failed: the sender retries). Re-reads the withdrawal from MySQL and re-checks it against its
   * localhash (and the one signsrv received) inside the signing transaction. The signed transaction, its nonce and
   * the `signed` report commit together; blockout_ctx is written before the transaction leaves the process. Does
   * nothing when it is already signed.
   *
   * Calls that arrive while a signing transaction runs are signed together in the next one (one lock of the nonce
   * allocator and one commit for the batch), so concurrent approvals do not queue on the allocator one by one.
   * @throws WalletError INTEGRITY_MISMATCH; the node's errors (gas estimate, fees) for this withdrawal
   */
  sign(withdrawalId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#signQueue.push({ id: withdrawalId, resolve, reject });
      if (!this.#signing) void this.#drainSignQueue();
    });
  }

  async #drainSignQueue(): Promise<void> {
    this.#signing = true;
    try {
      while (this.#signQueue.length > 0) {
        const batch = this.#signQueue.splice(0, 100);
        let outcome: { errors: Map<string, unknown>; sent: Promise<void> };
        try {
          outcome = await this.#signBatch([...new Set(batch.map((b) => b.id))]);
        } catch (error) {
          outcome = { errors: new Map(batch.map((b) => [b.id, error])), sent: Promise.resolve() };
        }
        // The next batch is signed while this one's transactions go to the node (their nonces are already fixed, and
        // a node holds a later nonce until the earlier one arrives); each caller hears back once its own was sent.
        const { errors, sent } = outcome;
        void sent.then(() => {
          for (const b of batch) {
            if (errors.has(b.id)) b.reject(errors.get(b.id));
            else b.resolve();
          }
        });
      }
    } finally {
      this.#signing = false;
    }
  }

  /**
   * Signs a batch in one transaction, then starts sending the results.
   * @returns the error of each withdrawal that failed, and when the sends have ended (they never reject: a failed send
   * is logged and left to the sender)
   */
  async #signBatch(ids: readonly string[]): Promise<{ errors: Map<string, unknown>; sent: Promise<void> }> {
    const { db, log } = this.#o;
    const errors = new Map<string, unknown>();
    const already = new Set(
      await db('withdrawal_txs')
        .whereIn('withdrawal_id', [...ids])
        .pluck<string[]>('withdrawal_id'),
    );
    const rows = (
      await db<WithdrawalRow>('withdrawals')
        .whereIn('id', [...ids])
        .where('status', 'approved')
        // Internal withdrawals are settled in the ledger by transrv: never signed, never sent.
        .whereNull('internal_account_id')
    ).filter((r) => !already.has(r.id));
    // Gas and fees from the node before any lock is taken; one fee estimate per chain for the batch.
    type Prepared = { row: WithdrawalRow; chain: PayoutChain; call: Call; gasLimit: bigint; fees: Fees };
    const prepared: Prepared[] = [];
    const feesOf = new Map<string, Promise<Fees>>();
    await Promise.all(
      rows.map(async (row) => {
        try {
          const chain = this.#chain(row.chain);
          const call = this.#call(row);
          if (!feesOf.has(row.chain)) feesOf.set(row.chain, this.#fees(chain));
          const [gasLimit, fees] = await Promise.all([this.#gasLimit(chain, call), feesOf.get(row.chain)!]);
          prepared.push({ row, chain, call, gasLimit, fees });
        } catch (error) {
          errors.set(row.id, error);
        }
      }),
    );
    if (prepared.length === 0) return { errors, sent: Promise.resolve() };
    // Nonces in approval order (withdrawal ids are time-ordered).
    prepared.sort((a, b) => (a.row.id < b.row.id ? -1 : 1));

    let mismatched: { id: string; fields: string[] }[] = [];
    let held: string[] = [];
    let unpayable = new Map<string, 'zero_address' | 'reserved_address' | 'operated_address'>();
    const txs = await withTransaction(db, async (trx) => {
      mismatched = [];
      const batchIds = prepared.map((p) => p.row.id);
      const locked = new Map(
        (await trx<WithdrawalRow>('withdrawals').whereIn('id', batchIds).orderBy('id').forUpdate()).map((r) => [r.id, r]),
      );
      const signed = new Set(await trx('withdrawal_txs').whereIn('withdrawal_id', batchIds).pluck<string[]>('withdrawal_id'));
      // A disabled client's withdrawals are not signed (accountsrv owns clients; this is a read at signing time, after
      // the withdrawal locks: a disable committed before them is seen). Enabled again, the sender's pass signs them.
      const disabledClients = new Set(
        await trx('clients')
          .whereIn('id', [...new Set([...locked.values()].map((r) => r.client_id))])
          .andWhere('status', 'disabled')
          .pluck<string[]>('id'),
      );
      held = [];
      const reviews = new Map(
        // A plain read after the withdrawal locks above (the transaction's snapshot starts after them): a void that
        // held those locks first has committed, and is seen. (Locking sign_requests here
        // would take locks in the opposite order to approve and void, which lock it before the withdrawal.)
        (
          await trx('sign_requests')
            .whereIn('withdrawal_id', batchIds)
            .select<{ withdrawal_id: string; localhash: string; decision: string | null }[]>('withdrawal_id', 'localhash', 'decision')
        ).map((r) => [r.withdrawal_id, r]),
      );
      // Defence in depth: a destination that became an address of ours after the request was screened is not paid.
      unpayable = await this.#unpayableDestinations(trx, [...locked.values()]);
      const ready: Prepared[] = [];
      for (const p of prepared) {
        const row = locked.get(p.row.id);
        if (!row || row.status !== 'approved' || signed.has(row.id)) continue;
        if (row.internal_account_id !== null) continue; // settled in the ledger by transrv: never signed
        if (unpayable.has(row.id)) continue;
        const review = reviews.get(row.id);
        if (review?.decision === 'voided') continue; // given up before signing: never signed
        if (disabledClients.has(row.client_id)) {
          held.push(row.id);
          continue;
        }
        const problems = approvalProblems(row, review);
        // The call built outside the transaction must be the row's as it is now.
        if (row.to_address !== p.row.to_address || row.amount !== p.row.amount || row.asset !== p.row.asset) problems.push('changed');
        if (problems.length > 0) mismatched.push({ id: row.id, fields: problems });
        else ready.push({ ...p, row });
      }
      const out: (TxRow & { localhash: string; node_id: string })[] = [];
      for (const chainId of new Set(ready.map((p) => p.row.chain))) {
        const group = ready.filter((p) => p.row.chain === chainId);
        const wallet = group[0]!.chain.wallet;
        const nonces = await allocateNonces(
          trx,
          chainId,
          wallet.address,
          group.map((p) => p.row.id),
        );
        for (const p of group) {
          const nonce = nonces.get(p.row.id)!;
          const tx = wallet.signEip1559({
            chainId: p.chain.adapter.evmChainId,
            nonce,
            to: p.call.to,
            value: p.call.value,
            data: p.call.data,
            gasLimit: p.gasLimit,
            maxFeePerGas: p.fees.maxFeePerGas,
            maxPriorityFeePerGas: p.fees.maxPriorityFeePerGas,
          });
          out.push({
            chain: chainId,
            txid: tx.txid,
            withdrawal_id: p.row.id,
            attempt: 0,
            from_address: wallet.address,
            nonce: String(nonce),
            raw: tx.raw,
            gas_limit: p.gasLimit.toString(),
            max_fee_per_gas: p.fees.maxFeePerGas.toString(),
            max_priority_fee_per_gas: p.fees.maxPriorityFeePerGas.toString(),
            created_at: new Date(),
            broadcast_at: null,
            last_broadcast_at: null,
            localhash: p.row.localhash,
            node_id: p.row.node_id,
          });
        }
      }
      if (out.length > 0) {
        await trx('withdrawal_txs').insert(
          out.map(({ localhash: _l, node_id: _n, created_at: _c, broadcast_at: _b, last_broadcast_at: _lb, ...row }) => row),
        );
        await queueResponse(
          trx,
          ...out.map((t) => ({ type: 'signed' as const, withdrawalId: t.withdrawal_id, nodeId: t.node_id, txid: t.txid })),
        );
      }
      return out;
    });
    for (const id of held) {
      errors.set(
        id,
        new WalletError('CLIENT_DISABLED', "the withdrawal's client is disabled: not signed", { details: { withdrawalId: id } }),
      );
    }
    if (held.length > 0) log.info({ withdrawalIds: held }, 'held for signing: the client is disabled');
    for (const [id, reason] of unpayable) {
      const row = rows.find((r) => r.id === id);
      errors.set(id, invalidDestination(row?.to_address ?? '', reason));
      await raiseAlertOnce(db, log, AlertKind.invalidDestination, id, { to: row?.to_address ?? null, reason, during: 'signing' });
    }
    for (const m of mismatched) {
      errors.set(
        m.id,
        new WalletError('INTEGRITY_MISMATCH', 'the withdrawal no longer matches its localhash: not signed', {
          details: { withdrawalId: m.id, fields: m.fields },
        }),
      );
      await raiseAlertOnce(db, log, AlertKind.integrityMismatch, m.id, { fields: m.fields, during: 'signing' });
    }
    if (txs.length === 0) return { errors, sent: Promise.resolve() };
    this.#o.relay.kick();
    for (const t of txs) log.info({ withdrawalId: t.withdrawal_id, txid: t.txid, nonce: Number(t.nonce) }, 'withdrawal signed');
    this.#crash('signsrv.after_sign');
    const sent = Promise.all(
      txs.map((t) =>
        this.#send(t, t.localhash, t.node_id).catch((error: unknown) =>
          log.warn({ err: error, withdrawalId: t.withdrawal_id, txid: t.txid }, 'sending failed; the sender retries'),
        ),
      ),
    ).then(() => undefined);
    return { errors, sent };
  }

  /** Puts the transaction in blockout_ctx, sends it to the node, then records that it was sent. */
  async #send(tx: TxRow, localhash: string, nodeId: string): Promise<void> {
    if (this.#sending.has(tx.txid)) return;
    this.#sending.add(tx.txid);
    try {
      await this.#sendOnce(tx, localhash, nodeId);
    } finally {
      this.#sending.delete(tx.txid);
    }
  }

  async #sendOnce(tx: TxRow, localhash: string, nodeId: string): Promise<void> {
    const { db, redis, ctxKey, log } = this.#o;
    const chain = this.#chain(tx.chain);
    await redis.hset(ctxKey, tx.txid, localhash);
    try {
      await chain.adapter.broadcast(tx.raw);
    } catch (error) {
      if (isWalletError(error, 'CONFLICT') && error.details['reason'] === 'nonce_used') {
        // The nonce is used on chain: by one of this withdrawal's transactions (the scanner will report it), or
        // by something signsrv did not sign.
        if (await this.#anyAttemptMined(tx)) return;
        await raiseAlert(db, log, AlertKind.nonceUsedElsewhere, tx.withdrawal_id, {
          chain: tx.chain,
          nonce: Number(tx.nonce),
          txid: tx.txid,
        });
        return;
      }
      // The node refuses this very transaction (the hot wallet cannot pay for it, or it is invalid): it will refuse
      // it again, and every later nonce waits behind it. Operators must know; it is retried meanwhile.
      if (isWalletError(error, 'VALIDATION_FAILED')) this.#alarmOnce(tx.withdrawal_id, error, { txid: tx.txid, nonce: Number(tx.nonce) });
      throw error;
    }
    this.#crash('signsrv.after_broadcast');
    await withTransaction(db, async (trx) => {
      await trx('withdrawal_txs')
        .where({ chain: tx.chain, txid: tx.txid })
        .update({
          broadcast_at: trx.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
          last_broadcast_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      if (tx.broadcast_at === null) await queueResponse(trx, { type: 'broadcast', withdrawalId: tx.withdrawal_id, nodeId, txid: tx.txid });
    });
    this.#o.relay.kick();
    if (tx.broadcast_at === null) log.info({ withdrawalId: tx.withdrawal_id, txid: tx.txid, attempt: tx.attempt }, 'withdrawal broadcast');
  }

  async #anyAttemptMined(tx: TxRow): Promise<boolean> {
    const attempts = await this.#o.db<TxRow>('withdrawal_txs').where({ withdrawal_id: tx.withdrawal_id });
    const chain = this.#chain(tx.chain);
    for (const a of attempts) if (await chain.adapter.receipt(a.txid)) return true;
    return false;
  }

  /**
   * One pass of the sender: checks no one else has used the hot wallets' nonces; signs approved withdrawals that have
   * no transaction yet (a crash or an unreachable node came between approval and signing), each failing one backing
   * off on its own so it cannot hold up the others; sends signed transactions not yet sent; re-sends unmined ones;
   * and replaces the hot wallet's lowest unmined transaction, when it is stuck longer than `bumpAfterMs`, with a
   * fee-bumped one of the same nonce. Transactions queued behind it are not bumped: they wait for it, not for a fee.
   * Ages are MySQL's own (its clock wrote the times), never compared with this process's clock.
   */
  async tick(): Promise<void> {
    const { db, log } = this.#o;
    /** Per chain: the nonce of the active hot wallet's next transaction to be mined. */
    const minedNonce = new Map<string, number>();
    for (const [chainId, c] of this.#o.chains) {
      await this.#syncNonces(chainId, c).then(
        ({ chainNonce }) => minedNonce.set(chainId, chainNonce),
        (error: unknown) => log.warn({ err: error, chain: chainId }, 'nonce check failed'),
      );
    }
    for (const [chainId, chainNonce] of minedNonce) {
      await this.#resendForgotten(chainId, this.#chain(chainId), chainNonce).catch((error: unknown) =>
        log.warn({ err: error, chain: chainId }, 'checking the chain for forgotten transactions failed'),
      );
    }
    if (Date.now() - this.#receiptsCheckedAt >= (this.#o.receiptCheckMs ?? 60_000)) {
      this.#receiptsCheckedAt = Date.now();
      await this.checkSettledReceipts().catch((error: unknown) => log.warn({ err: error }, 'checking settled receipts failed'));
    }
    await this.flagDestinations().catch((error: unknown) => log.warn({ err: error }, 'destination lookups failed'));
    const approved = await db('withdrawals as w')
      .join('sign_requests as r', 'r.withdrawal_id', 'w.id')
      .leftJoin('withdrawal_txs as t', 't.withdrawal_id', 'w.id')
      // Held while their client is disabled: not retried (nor alarmed) until it is enabled again.
      .join('clients as c', 'c.id', 'w.client_id')
      .where('w.status', 'approved')
      .andWhere('r.decision', 'approved')
      .andWhere('c.status', 'active')
      // Internal ones are settled in the ledger by transrv.
      .whereNull('w.internal_account_id')
      .whereNull('t.txid')
      .orderBy('w.id')
      .limit(500)
      .pluck<string[]>('w.id');
    const now = Date.now();
    const due = approved.filter((id) => (this.#signRetry.get(id)?.at ?? 0) <= now).slice(0, 50);
    await Promise.all(
      due.map((id) =>
        this.sign(id).then(
          () => this.#signRetry.delete(id),
          (error: unknown) => {
            const failures = (this.#signRetry.get(id)?.failures ?? 0) + 1;
            this.#signRetry.set(id, { failures, at: Date.now() + Math.min(300_000, 1000 * 2 ** Math.min(failures, 9)) });
            this.#alarmOnce(id, error);
          },
        ),
      ),
    );

    // The latest transaction of every withdrawal in flight that the scanner has not seen mined.
    const [latest] = (await db.raw(
      `SELECT t.*, w.localhash, w.node_id, ${AGE_MS} AS age_ms, ${SINCE_SENT_MS} AS since_sent_ms
       FROM withdrawal_txs t
       JOIN (SELECT withdrawal_id, MAX(attempt) AS attempt FROM withdrawal_txs GROUP BY withdrawal_id) la
         ON la.withdrawal_id = t.withdrawal_id AND la.attempt = t.attempt
       JOIN withdrawals w ON w.id = t.withdrawal_id
       WHERE w.status IN ('approved', 'signed', 'broadcast')
         AND NOT EXISTS (SELECT 1 FROM withdrawal_observations o WHERE o.withdrawal_id = t.withdrawal_id)
       ORDER BY t.chain, t.nonce LIMIT 200`,
    )) as [(InFlightTx & { age_ms: string | number; since_sent_ms: string | number })[]];
    for (const row of latest) {
      const tx: InFlightTx = row;
      try {
        if (tx.broadcast_at === null) {
          await this.#sendOrKeepReplaced(tx);
          continue;
        }
        // Only the next nonce to be mined can be stuck on its fee; a bump of one behind it would pay for nothing. One
        // signed by another key is handed to #bump too, which refuses it with an alarm.
        const ownKey = sameAddress(tx.from_address, this.#chain(tx.chain).wallet.address);
        const bumpable = !ownKey || minedNonce.get(tx.chain) === Number(tx.nonce);
        if (Number(row.age_ms) >= this.#bumpAfterMs && bumpable && !(await this.#anyAttemptMined(tx))) {
          if (await this.#bump(tx)) continue;
        }
        // Not replaced (not stuck, behind another, at the fee cap, or refused): the node may have dropped it.
        if (Number(row.since_sent_ms) >= this.#rebroadcastAfterMs) {
          await this.#send(tx, tx.localhash, tx.node_id);
        }
      } catch (error) {
        log.warn({ err: error, withdrawalId: tx.withdrawal_id, txid: tx.txid }, 'sending failed; retrying');
      }
    }

    // Settled withdrawals whose block a reorg deeper than their confirmations dropped (the scanner marked them): the
    // books keep the settlement, and the very transaction that was mined is sent again until it is mined again, so
    // the chain catches up with the books and the hot wallet's later nonces are not left behind a gap.
    const [dropped] = (await db.raw(
      `SELECT t.*, w.localhash, w.node_id, ${SINCE_SENT_MS} AS since_sent_ms
       FROM withdrawal_observations o
       JOIN withdrawals w ON w.id = o.withdrawal_id
       JOIN withdrawal_txs t ON t.chain = o.chain AND t.txid = o.txid AND t.withdrawal_id = w.id
       WHERE o.dropped = 1 AND w.status IN ('confirmed', 'failed')
       ORDER BY t.chain, t.nonce LIMIT 50`,
    )) as [(InFlightTx & { since_sent_ms: string | number })[]];
    for (const tx of dropped) {
      if (Number(tx.since_sent_ms) < this.#rebroadcastAfterMs) continue;
      log.warn({ withdrawalId: tx.withdrawal_id, txid: tx.txid }, 'a reorg dropped a settled withdrawal: re-sending its transaction');
      await this.#send(tx, tx.localhash, tx.node_id).catch((error: unknown) =>
        log.warn(
          { err: error, withdrawalId: tx.withdrawal_id, txid: tx.txid },
          're-sending a dropped settled transaction failed; retrying',
        ),
      );
    }
  }

  /**
   * The chain went back behind what signsrv knows it mined (its history changed under the settled books: a reorg
   * racing mining, a node restored from an older state): the hot wallet's nonce on chain is at or below the nonce of
   * a settled withdrawal, or of one the scanner saw mined. That transaction is gone, and every later nonce waits
   * behind it in the pool. Each such transaction is re-sent exactly as it was stored (the same signed bytes, so the
   * same payment and the same txid: never a new payment, never re-signed), at the re-send interval, until the chain's
   * nonce passes it; a `nonce_behind_chain` alarm is raised once per withdrawal.
   *
   * Only nonces at or above the chain's are read (the allocator's range index), so this costs one indexed read per
   * pass however many withdrawals were ever settled.
   */
  async #resendForgotten(chainId: string, chain: PayoutChain, chainNonce: number): Promise<void> {
    const { db, log } = this.#o;
    // Of each withdrawal numbered at or above the chain's nonce that the chain did mine once: the transaction it mined
    // (the settled one, else the one the scanner saw last).
    const [found] = (await db.raw(
      `SELECT t.*, w.localhash, w.node_id, w.status AS withdrawal_status, ${SINCE_SENT_MS} AS since_sent_ms
       FROM nonce_assignments n
       JOIN withdrawals w ON w.id = n.withdrawal_id
       JOIN withdrawal_txs t ON t.withdrawal_id = w.id AND t.chain = n.chain
       WHERE n.chain = ? AND n.address = ? AND n.nonce >= ?
         AND t.txid = CASE WHEN w.status IN ('confirmed', 'failed') THEN w.txid ELSE (
           SELECT o.txid FROM withdrawal_observations o WHERE o.withdrawal_id = w.id AND o.chain = n.chain
           ORDER BY o.block_number DESC LIMIT 1) END
       ORDER BY n.nonce LIMIT 50`,
      [chainId, chain.wallet.address, chainNonce],
    )) as [(InFlightTx & { withdrawal_status: string; since_sent_ms: string | number })[]];
    if (found.length === 0) return;
    // The nonce was read before the rows: a transaction mined and recorded in between is not forgotten. Ask again.
    const now = await chain.adapter.nonceOf(chain.wallet.address, 'latest');
    for (const tx of found.filter((t) => Number(t.nonce) >= now)) {
      await raiseAlertOnce(db, log, AlertKind.nonceBehindChain, tx.withdrawal_id, {
        chain: chainId,
        address: chain.wallet.address,
        chainNonce: now,
        nonce: Number(tx.nonce),
        txid: tx.txid,
        status: tx.withdrawal_status,
      });
      if (Number(tx.since_sent_ms) < this.#rebroadcastAfterMs) continue;
      log.warn(
        { withdrawalId: tx.withdrawal_id, txid: tx.txid, nonce: Number(tx.nonce), chainNonce: now },
        'the chain forgot a mined withdrawal transaction: re-sending the same signed transaction',
      );
      await this.#send(tx, tx.localhash, tx.node_id).catch((error: unknown) =>
        log.warn({ err: error, withdrawalId: tx.withdrawal_id, txid: tx.txid }, 're-sending a forgotten transaction failed; retrying'),
      );
    }
  }

  /**
   * Asks the node for the receipt of each recently confirmed withdrawal (the last `receiptCheckCount`, settled within
   * the last 24 h) and raises `settled_receipt_missing` (once per withdrawal) for each one it no longer has: the books
   * say paid, the chain does not. Re-sending is {@link #resendForgotten}'s (by nonce); this only tells operators.
   * @returns the withdrawals whose receipt is missing
   */
  async checkSettledReceipts(): Promise<string[]> {
    const { db, log } = this.#o;
    const rows = await db('withdrawals')
      .where({ status: 'confirmed' })
      .whereNotNull('txid')
      .whereNull('internal_account_id')
      .whereIn('chain', [...this.#o.chains.keys()])
      .andWhere('updated_at', '>=', db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 1 DAY'))
      .orderBy('id', 'desc')
      .limit(this.#o.receiptCheckCount ?? 100)
      .select<{ id: string; chain: string; txid: string; block_number: string | null }[]>('id', 'chain', 'txid', 'block_number');
    const missing: string[] = [];
    await Promise.all(
      rows.map(async (r) => {
        try {
          if ((await this.#chain(r.chain).adapter.receipt(r.txid)) !== null) return;
        } catch (error) {
          log.warn({ err: error, withdrawalId: r.id, txid: r.txid }, 'could not ask for a settled receipt; retrying later');
          return;
        }
        missing.push(r.id);
        await raiseAlertOnce(db, log, AlertKind.settledReceiptMissing, r.id, {
          chain: r.chain,
          txid: r.txid,
          settledInBlock: r.block_number === null ? null : Number(r.block_number),
        });
      }),
    );
    return missing;
  }

  /**
   * Replaces a stuck transaction with one of the same nonce, call and gas, read back from the stored signed bytes,
   * and fees raised by bumpPercent (at least the market's, at most the cap). Inside one transaction it re-checks that
   * the withdrawal is still in flight and unseen on chain, that its row still hashes to the localhash signsrv received,
   * and that the stored transaction still pays exactly what the row says: a row altered after signing cannot redirect
   * the replacement. Only the key that signed the original can replace it.
   * @returns whether a replacement was signed (and sent)
   */
  async #bump(tx: InFlightTx): Promise<boolean> {
    const { db, log } = this.#o;
    const chain = this.#chain(tx.chain);
    if (!sameAddress(tx.from_address, chain.wallet.address)) {
      // Signed by a key signsrv no longer holds (the keystore changed): any "replacement" from the new key would be
      // a second payment, not a replacement. The original is re-sent until it is mined.
      await raiseAlertOnce(db, log, AlertKind.hotWalletChanged, tx.withdrawal_id, {
        chain: tx.chain,
        txid: tx.txid,
        signedBy: tx.from_address,
        hotWallet: chain.wallet.address,
      });
      return false;
    }
    const percent = BigInt(this.#o.bumpPercent ?? 25);
    const market = await this.#fees(chain).catch(() => null);
    const raise = (v: string) => (BigInt(v) * (100n + percent) + 99n) / 100n;
    let priority = raise(tx.max_priority_fee_per_gas);
    let maxFee = raise(tx.max_fee_per_gas);
    if (market && market.maxPriorityFeePerGas > priority) priority = market.maxPriorityFeePerGas;
    if (market && market.maxFeePerGas > maxFee) maxFee = market.maxFeePerGas;
    if (maxFee > chain.maxFeePerGas) maxFee = chain.maxFeePerGas;
    if (priority > maxFee) priority = maxFee;
    // Nodes replace a pooled transaction only for at least 10 % more on both fields.
    const minimum = (v: string) => (BigInt(v) * 110n + 99n) / 100n;
    if (maxFee < minimum(tx.max_fee_per_gas) || priority < minimum(tx.max_priority_fee_per_gas)) {
      log.warn(
        { withdrawalId: tx.withdrawal_id, txid: tx.txid, cap: chain.maxFeePerGas.toString() },
        'stuck, but the fee cap allows no bump: re-sending it as it is',
      );
      return false;
    }
    const original = parseSignedEip1559(tx.raw);
    const outcome = await withTransaction(db, async (trx): Promise<{ replaced: TxRow } | { problems: string[] } | null> => {
      const w = await trx<WithdrawalRow>('withdrawals').where({ id: tx.withdrawal_id }).forUpdate().first();
      if (!w || !['approved', 'signed', 'broadcast'].includes(w.status)) return null;
      if (await trx('withdrawal_observations').where({ withdrawal_id: w.id }).first<{ txid: string } | undefined>('txid')) return null; // mined meanwhile
      const [rows] = (await trx.raw('SELECT MAX(attempt) AS attempt FROM withdrawal_txs WHERE withdrawal_id = ? FOR UPDATE', [w.id])) as [
        { attempt: number }[],
      ];
      if (rows[0]?.attempt !== tx.attempt) return null; // someone else bumped it meanwhile
      const review = await trx('sign_requests')
        .where({ withdrawal_id: w.id })
        .first<{ localhash: string; decision: string | null } | undefined>('localhash', 'decision');
      const problems = approvalProblems(w, review);
      const call = this.#call(w);
      if (!sameAddress(original.to, call.to) || original.value !== call.value || original.data.toLowerCase() !== call.data.toLowerCase()) {
        problems.push('call');
      }
      if (
        original.nonce !== Number(tx.nonce) ||
        original.chainId !== chain.adapter.evmChainId ||
        !sameAddress(original.from, tx.from_address)
      ) {
        problems.push('signed_transaction');
      }
      if (problems.length > 0) return { problems };
      const signed = chain.wallet.signEip1559({
        chainId: original.chainId,
        nonce: original.nonce,
        to: original.to,
        value: original.value,
        data: original.data,
        gasLimit: original.gasLimit,
        maxFeePerGas: maxFee,
        maxPriorityFeePerGas: priority,
      });
      const row = {
        chain: tx.chain,
        txid: signed.txid,
        withdrawal_id: tx.withdrawal_id,
        attempt: tx.attempt + 1,
        from_address: tx.from_address,
        nonce: tx.nonce,
        raw: signed.raw,
        gas_limit: original.gasLimit.toString(),
        max_fee_per_gas: maxFee.toString(),
        max_priority_fee_per_gas: priority.toString(),
      };
      await trx('withdrawal_txs').insert(row);
      return { replaced: { ...row, created_at: new Date(), broadcast_at: null, last_broadcast_at: null } };
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
      { withdrawalId: tx.withdrawal_id, replaced: tx.txid, txid: outcome.replaced.txid, nonce: Number(tx.nonce) },
      'stuck transaction replaced with a fee bump',
    );
    await this.#sendOrKeepReplaced({ ...outcome.replaced, localhash: tx.localhash, node_id: tx.node_id });
    return true;
  }

  /**
   * Sends a withdrawal's latest transaction. When the node refuses a replacement outright (the hot wallet cannot pay
   * its higher fee), the transaction it replaces is still valid and may be all that holds the nonce: it is kept
   * sent (at the re-send interval) until the replacement is accepted or one of them is mined.
   * @throws the replacement's refusal, after keeping the earlier transaction sent
   */
  async #sendOrKeepReplaced(tx: InFlightTx): Promise<void> {
    try {
      await this.#send(tx, tx.localhash, tx.node_id);
    } catch (error) {
      if (tx.attempt > 0 && isWalletError(error, 'VALIDATION_FAILED')) {
        const [rows] = (await this.#o.db.raw(
          `SELECT t.*, ${SINCE_SENT_MS} AS since_sent_ms FROM withdrawal_txs t WHERE t.withdrawal_id = ? AND t.attempt = ?`,
          [tx.withdrawal_id, tx.attempt - 1],
        )) as [(TxRow & { since_sent_ms: string | number })[]];
        const previous = rows[0];
        if (previous && Number(previous.since_sent_ms) >= this.#rebroadcastAfterMs) {
          await this.#send(previous, tx.localhash, tx.node_id).catch((e: unknown) =>
            this.#o.log.warn({ err: e, withdrawalId: tx.withdrawal_id, txid: previous.txid }, 're-sending the replaced transaction failed'),
          );
        }
      }
      throw error;
    }
  }

  /**
   * A `send_refused` alarm for a withdrawal, at most once a minute each (the condition repeats on every pass). An
   * integrity mismatch is not one: it raised its own alarm where it was found.
   */
  #alarmOnce(withdrawalId: string, error: unknown, extra: Record<string, unknown> = {}): void {
    if (
      isWalletError(error, 'INTEGRITY_MISMATCH') ||
      isWalletError(error, 'CLIENT_DISABLED') ||
      isWalletError(error, 'INVALID_DESTINATION')
    )
      return;
    const last = this.#alarmed.get(withdrawalId) ?? 0;
    if (Date.now() - last < 60_000) return;
    this.#alarmed.set(withdrawalId, Date.now());
    void raiseAlert(this.#o.db, this.#o.log, AlertKind.sendRefused, withdrawalId, {
      code: isWalletError(error) ? error.code : 'INTERNAL',
      reason: isWalletError(error) ? (error.details['reason'] ?? null) : null,
      message: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
      ...extra,
    }).catch(() => {});
  }

  #chain(chainId: string): PayoutChain {
    const chain = this.#o.chains.get(chainId);
    if (!chain) throw new WalletError('UNSUPPORTED_CHAIN', `signsrv does not pay out on ${chainId}`, { details: { chain: chainId } });
    return chain;
  }

  /** The call that pays a withdrawal: a value transfer, or the token's transfer(to, amount). */
  #call(w: WithdrawalRow): { to: string; value: bigint; data: string } {
    const asset = this.#o.registry.asset(w.asset);
    if (asset.contract === undefined) return { to: w.to_address, value: BigInt(w.amount), data: '0x' };
    return { to: asset.contract, value: 0n, data: encodeErc20Transfer(w.to_address, BigInt(w.amount)) };
  }

  /** The estimate with a 20 % margin (a plain value transfer to an account needs exactly 21000). */
  async #gasLimit(chain: PayoutChain, call: { to: string; value: bigint; data: string }): Promise<bigint> {
    const estimate = await chain.adapter.estimateGas({ from: chain.wallet.address, to: call.to, value: call.value, data: call.data });
    if (estimate === 21_000n && call.data === '0x') return estimate;
    return (estimate * 12n) / 10n;
  }

  /** EIP-1559 fees now, capped. @throws WalletError UNAVAILABLE when the base fee alone is above the cap (wait) */
  async #fees(chain: PayoutChain): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const estimate = await chain.adapter.feeEstimate();
    if (estimate.baseFeePerGas >= chain.maxFeePerGas) {
      throw new WalletError('UNAVAILABLE', 'the base fee is above the fee cap: waiting', {
        details: { baseFeePerGas: estimate.baseFeePerGas.toString(), cap: chain.maxFeePerGas.toString() },
      });
    }
    const maxFeePerGas = estimate.maxFeePerGas < chain.maxFeePerGas ? estimate.maxFeePerGas : chain.maxFeePerGas;
    const maxPriorityFeePerGas = estimate.maxPriorityFeePerGas < maxFeePerGas ? estimate.maxPriorityFeePerGas : maxFeePerGas;
    return { maxFeePerGas, maxPriorityFeePerGas };
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

function toView(r: ReviewRow): ReviewView {
  return {
    withdrawalId: r.id,
    accountId: r.account_id,
    nodeId: r.node_id,
    chain: r.chain,
    asset: r.asset,
    to: r.to_address,
    amount: BigInt(r.amount),
    fee: BigInt(r.fee),
    localhash: r.localhash,
    status: r.status,
    decision: r.decision,
    decidedBy: r.decided_by,
    reason: r.sr_reason,
    txid: r.tx_txid,
    nonce: r.tx_nonce === null ? null : Number(r.tx_nonce),
    clientDisabled: r.client_status === 'disabled',
    internal: r.internal_account_id !== null,
    internalAccountId: r.internal_account_id,
    destinationIsContract: r.destination_is_contract === null ? null : Boolean(r.destination_is_contract),
    receivedAt: r.received_at,
    createdAt: r.created_at,
  };
}

/**
 * What stops a withdrawal from being signed (or its transaction replaced): a row that no longer hashes to the
 * localhash signsrv received, or a status of approved without signsrv's approval behind it (someone wrote the status).
 * @returns the problems, empty when it may be signed
 */
function approvalProblems(row: WithdrawalRow, review: { localhash: string; decision: string | null } | undefined): string[] {
  const problems = integrityProblems(row, { localhash: review?.localhash ?? '' });
  if (review?.decision !== 'approved') problems.push('decision');
  return problems;
}

/** Whether two EVM addresses are the same (checksummed or not). */
function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
