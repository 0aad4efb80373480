import type { OutgoingTx } from '@wallet/chains';
import { withTransaction } from '@wallet/db';
import { WalletError, isWalletError } from '@wallet/errors';
import { PeriodicTask } from '@wallet/jobs';
import { type CrashPoint, noCrashPoints } from '@wallet/lifecycle';
import { type EvmSigner, encodeErc20Transfer } from '@wallet/signer';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import type { AuditFn } from '../review/Audit.js';
import { assertSigningAllowed } from '../review/signingAllowed.js';
import { initNonceAllocator, takeNonces } from './allocateNonce.js';
import { TRANSFER_GAS } from './evmFees.js';
import { SweepPlanner, type SweepPlannerOptions } from './SweepPlanner.js';
import { type SweepRow, SweepStatus } from './SweepRow.js';

export { type SweepRow, SweepStatus } from './SweepRow.js';

/** Options of {@link EvmSweeps}: the planner's, and what signing and sending need. */
export type EvmSweepsOptions = SweepPlannerOptions & {
  /** The fee wallet's key: signs the gas top-ups of token sweeps. */
  readonly feeWallet: EvmSigner;
  /** An unmined top-up or sweep is sent again this often (ms). */
  readonly rebroadcastAfterMs: number;
  /** Test-only crash points. */
  readonly crash?: CrashPoint;
  readonly audit?: AuditFn;
};

/**
 * The sweep job of an EVM chain: moves what deposit addresses hold to the hot wallet, one `sweeps` row per movement,
 * each advanced from its MySQL state by {@link pass} (a timer only wakes the job; the rows are the truth):
 *
 * ```
 * native:  planned -> signed -> broadcast -> confirmed | failed
 * token:   planned -[top-up signed, sent, confirmed]-> topped_up -> signed -> broadcast -> confirmed | failed
 * ```
 *
 * Why the amounts are exact: every transaction here is EIP-1559 with `maxFeePerGas = maxPriorityFeePerGas = P`. A
 * transaction pays `min(maxFeePerGas, baseFee + maxPriorityFeePerGas)` per gas, which is then exactly P whatever the
 * base fee (it is mined only while the base fee is at most P). A native sweep to the hot wallet (an account, no code)
 * uses exactly 21000 gas, so its fee is exactly 21000 x P and it can move the balance minus that, to the wei, leaving
 * nothing behind. (With the market's usual fields the fee depends on the base fee of the block that mines it: the
 * sweep would have to leave a margin on every deposit address.)
 *
 * Crash safety: each transition is one MySQL transaction on the row, with a locking read that re-checks its state.
 * A transaction is signed once (its nonce recorded with it) and from then on only re-sent as the same bytes; a signed
 * row is re-sent on restart and the node is asked for its receipt, so kill -9 at any point neither sweeps twice
 * (one open sweep per address; one transaction per nonce on chain) nor strands gas (the token sweep is signed only
 * after the top-up's receipt has its confirmations, and whatever gas is left is recorded on the row).
 *
 * No user's balance changes: the coins were the exchange's custody before and after. The network fees are recorded on
 * the row (`topup_fee`, `sweep_fee`); transrv books them to the exchange (fee income pays the chain's network fees).
 */
export class EvmSweeps {
  readonly #o: EvmSweepsOptions;
  readonly #crash: CrashPoint;
  readonly #confirmations: number;
  readonly #planner: SweepPlanner;
  /** The passes, from {@link start} on. */
  #passes: PeriodicTask | undefined;

  constructor(options: EvmSweepsOptions) {
    this.#o = options;
    this.#crash = options.crash ?? noCrashPoints;
    this.#confirmations = options.registry.asset(options.chain.nativeAsset).confirmations;
    this.#planner = new SweepPlanner(options);
  }

  /**
   * Runs {@link pass} every `intervalMs`, one at a time (the timer only wakes the job: what to do is read from MySQL
   * on each pass).
   */
  start(intervalMs: number): void {
    this.#passes ??= new PeriodicTask({ name: `sweeps:${this.#o.chain.id}`, log: this.#o.log, intervalMs, run: () => this.pass() });
    this.#passes.start();
  }

  /**
   * A pass soon, after the one running (the hot wallet runs low: its tier check asks for one; kicks meanwhile share
   * one). Before {@link start} and after {@link stop} the job is not running: nothing happens.
   */
  kick(): Promise<void> {
    return this.#passes?.kick() ?? Promise.resolve();
  }

  /** Stops the passes, after the one running. */
  async stop(): Promise<void> {
    await this.#passes?.stop();
  }

  /** Wipes the deposit account's and the fee wallet's keys (the node connection is the payout family's). Call after {@link stop}. */
  close(): void {
    this.#o.depositKeys.wipe();
    this.#o.feeWallet.wipe();
  }

  /** The fee wallet's address (to be funded by operators; recorded as an operated address). */
  get feeWallet(): string {
    return this.#o.feeWallet.address;
  }

  /**
   * Sets up the fee wallet's nonce allocator from the chain, and moves it forward when the chain is ahead: something
   * else sent from the fee wallet (`nonce_ahead` alarm), and top-ups must not be signed with nonces already used.
   */
  async init(): Promise<void> {
    const { db, log, adapter, chain, feeWallet } = this.#o;
    const chainNonce = await adapter.nonceOf(feeWallet.address, 'latest');
    const { chainAheadBy } = await initNonceAllocator(db, chain.id, feeWallet.address, chainNonce);
    if (chainAheadBy > 0) {
      await raiseAlert(db, log, AlertKind.nonceAhead, null, {
        chain: chain.id,
        address: feeWallet.address,
        chainNonce,
        aheadBy: chainAheadBy,
      });
    }
  }

  /**
   * One pass: advances every open sweep by at most one step each (in id order), then plans new ones while fewer than
   * `maxInFlight` are open. Never throws: a failure is logged and the row is retried on the next pass.
   */
  async pass(): Promise<void> {
    const { log } = this.#o;
    try {
      await this.init();
    } catch (error) {
      log.warn({ err: error }, 'fee wallet nonce check failed');
    }
    let open: SweepRow[];
    try {
      open = await this.openSweeps();
    } catch (error) {
      log.warn({ err: error }, 'reading open sweeps failed; retrying');
      return;
    }
    // Rows are independent (one open sweep per deposit address; the fee wallet's nonces come from its allocator under
    // a row lock): a few advance at once, so one node round trip does not wait for another sweep's.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < open.length) {
        const row = open[next++]!;
        try {
          await this.advance(row);
        } catch (error) {
          log.warn({ err: error, sweepId: row.id, status: row.status }, 'sweep step failed; retrying');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, open.length) }, worker));
    try {
      await this.plan();
    } catch (error) {
      log.warn({ err: error }, 'planning sweeps failed; retrying');
    }
  }

  /** The chain's open sweeps, oldest first, with how long since each transaction was last sent (MySQL's clock). */
  async openSweeps(): Promise<SweepRow[]> {
    const [rows] = (await this.#o.db.raw(
      `SELECT s.*, CAST(s.amount AS CHAR) AS amount, CAST(s.gas_price AS CHAR) AS gas_price,
         CAST(s.native_before AS CHAR) AS native_before, CAST(s.topup_amount AS CHAR) AS topup_amount,
         CAST(s.topup_fee AS CHAR) AS topup_fee, CAST(s.sweep_fee AS CHAR) AS sweep_fee,
         TIMESTAMPDIFF(MICROSECOND, s.topup_sent_at, CURRENT_TIMESTAMP(3)) DIV 1000 AS topup_sent_ms,
         TIMESTAMPDIFF(MICROSECOND, s.last_broadcast_at, CURRENT_TIMESTAMP(3)) DIV 1000 AS since_sent_ms
       FROM sweeps s WHERE s.chain = ? AND s.status IN ('planned', 'topped_up', 'signed', 'broadcast') ORDER BY s.id`,
      [this.#o.chain.id],
    )) as [SweepRow[]];
    return rows;
  }

  /** {@link SweepPlanner.plan} */
  plan(): Promise<string[]> {
    return this.#planner.plan();
  }

  /** {@link SweepPlanner.planOne} */
  planOne(address: string, asset: string): Promise<string | null> {
    return this.#planner.planOne(address, asset);
  }

  /** Moves one open sweep on by one step, from what MySQL says it is and what the node says it did. */
  async advance(row: SweepRow): Promise<void> {
    switch (row.status) {
      case SweepStatus.planned:
        if (row.topup_amount === null) return this.#signSweep(row);
        if (row.topup_raw === null) return this.#signTopUp(row);
        return this.#followTopUp(row);
      case SweepStatus.toppedUp:
        return this.#signSweep(row);
      case SweepStatus.signed:
      case SweepStatus.broadcast:
        return this.#followSweep(row);
      default:
        return;
    }
  }

  /** planned (token, short of gas) -> planned with a signed top-up: the fee wallet's next nonce, taken with the row. */
  async #signTopUp(row: SweepRow): Promise<void> {
    const { db, chain, adapter, feeWallet, log } = this.#o;
    const signed = await withTransaction(db, async (trx) => {
      const locked = await trx('sweeps').where({ id: row.id }).forUpdate().first<{ status: string; topup_raw: string | null }>();
      if (locked?.status !== SweepStatus.planned || locked.topup_raw !== null) return null;
      // The top-up moves the native asset, for a sweep of `row.asset`: either's halt stops it.
      await assertSigningAllowed(trx, [chain.nativeAsset, row.asset]);
      const nonce = await takeNonces(trx, chain.id, feeWallet.address, 1);
      const price = BigInt(row.gas_price);
      const tx = feeWallet.sign({
        chainId: adapter.evmChainId,
        nonce,
        to: row.address,
        value: BigInt(row.topup_amount!),
        data: '0x',
        gasLimit: TRANSFER_GAS,
        maxFeePerGas: price,
        maxPriorityFeePerGas: price,
      });
      await trx('sweeps')
        .where({ id: row.id })
        .update({
          topup_from: feeWallet.address,
          topup_nonce: nonce,
          topup_txid: tx.txid,
          topup_raw: tx.raw,
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      await this.#o.audit?.(trx, {
        actor: 'signsrv',
        action: 'signed_sweep_topup',
        subject: row.id,
        details: { chain: chain.id, to: row.address, amount: row.topup_amount, txid: tx.txid, nonce },
      });
      return tx;
    });
    if (signed === null) return;
    log.info({ sweepId: row.id, txid: signed.txid }, 'sweep top-up signed');
    this.#crash('signsrv.sweep_topup_signed');
    await this.#followTopUp({ ...row, topup_raw: signed.raw, topup_txid: signed.txid, topup_sent_ms: null });
  }

  /**
   * A signed top-up: once its receipt has the native asset's confirmations, planned -> topped_up (its fee recorded);
   * until then it is sent, and re-sent at the re-send interval (the same bytes).
   */
  async #followTopUp(row: SweepRow): Promise<void> {
    const { db, adapter, log } = this.#o;
    const receipt = await adapter.receipt(row.topup_txid!);
    if (receipt !== null) {
      if (!(await this.#confirmed(receipt))) return;
      const moved = await withTransaction(db, async (trx) => {
        const locked = await trx('sweeps').where({ id: row.id }).forUpdate().first<{ status: string }>('status');
        if (locked?.status !== SweepStatus.planned) return false;
        // A value transfer to an account cannot revert; were it to, nothing arrived: the sweep ends, its fee recorded.
        const failed = receipt.status !== 'success';
        await trx('sweeps')
          .where({ id: row.id })
          .update({
            status: failed ? SweepStatus.failed : SweepStatus.toppedUp,
            topup_fee: receipt.fee.toString(),
            topup_block: receipt.blockNumber,
            ...(failed ? { reason: 'topup_reverted', finished_at: trx.raw('CURRENT_TIMESTAMP(3)') } : {}),
            updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          });
        return true;
      });
      if (moved) log.info({ sweepId: row.id, txid: row.topup_txid, fee: receipt.fee.toString() }, 'sweep top-up confirmed');
      return;
    }
    if (row.topup_sent_ms !== null && Number(row.topup_sent_ms) < this.#o.rebroadcastAfterMs) return;
    try {
      await adapter.broadcast(row.topup_raw!);
    } catch (error) {
      // Its nonce is used: by this very top-up (mined since the receipt was asked: the next pass sees it), or by
      // something else sent from the fee wallet (the allocator moves past it; this top-up can never be mined).
      if (!isNonceUsed(error) || (await adapter.receipt(row.topup_txid!)) !== null) throw error;
      await this.#fail(row, 'topup_nonce_used_elsewhere');
      await raiseAlert(db, log, AlertKind.nonceUsedElsewhere, null, {
        chain: row.chain,
        sweepId: row.id,
        address: row.topup_from,
        nonce: Number(row.topup_nonce),
        txid: row.topup_txid,
      });
      return;
    }
    await db('sweeps')
      .where({ id: row.id })
      .update({ topup_sent_at: db.raw('CURRENT_TIMESTAMP(3)') });
    this.#crash('signsrv.sweep_topup_sent');
  }

  /**
   * planned (native, or gas already there) or topped_up -> signed: the sweep transaction from the deposit address, at
   * its next nonce (deposit addresses send nothing but their sweeps, one open at a time), stored before it is sent.
   */
  async #signSweep(row: SweepRow): Promise<void> {
    const { db, chain, adapter, registry, depositKeys, log } = this.#o;
    const index = Number(row.address_index);
    const nonce = await adapter.nonceOf(row.address, 'pending');
    const spec = registry.asset(row.asset);
    const amount = BigInt(row.amount);
    const call =
      spec.contract === undefined
        ? { to: row.to_address, value: amount, data: '0x' }
        : { to: spec.contract, value: 0n, data: encodeErc20Transfer(row.to_address, amount) };
    const price = BigInt(row.gas_price);
    const signed = await withTransaction(db, async (trx) => {
      const locked = await trx('sweeps').where({ id: row.id }).forUpdate().first<{ status: string; topup_amount: string | null }>();
      const ready = locked?.status === SweepStatus.toppedUp || (locked?.status === SweepStatus.planned && locked.topup_amount === null);
      if (!ready) return null;
      await assertSigningAllowed(trx, [row.asset]);
      const tx = depositKeys.sign({
        index,
        tx: {
          chainId: adapter.evmChainId,
          nonce,
          ...call,
          gasLimit: BigInt(row.gas_limit),
          maxFeePerGas: price,
          maxPriorityFeePerGas: price,
        },
      });
      if (tx.from.toLowerCase() !== row.address) {
        throw new WalletError('INTEGRITY_MISMATCH', 'the deposit key does not derive the address on record', {
          details: { sweepId: row.id, address: row.address, index },
        });
      }
      await trx('sweeps')
        .where({ id: row.id })
        .update({
          status: SweepStatus.signed,
          sweep_nonce: nonce,
          sweep_txid: tx.txid,
          sweep_raw: tx.raw,
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      await this.#o.audit?.(trx, {
        actor: 'signsrv',
        action: 'signed_sweep',
        subject: row.id,
        details: { chain: chain.id, asset: row.asset, from: row.address, to: row.to_address, amount: row.amount, txid: tx.txid, nonce },
      });
      return tx;
    });
    if (signed === null) return;
    log.info({ sweepId: row.id, txid: signed.txid, nonce }, 'sweep signed');
    this.#crash('signsrv.sweep_signed');
    await this.#followSweep({ ...row, status: SweepStatus.signed, sweep_raw: signed.raw, sweep_txid: signed.txid, since_sent_ms: null });
  }

  /**
   * A signed sweep: sent (signed -> broadcast), re-sent as the same bytes while unmined, and once its receipt has the
   * native asset's confirmations, confirmed (or failed, when it reverted), with its fee and what gas was left.
   */
  async #followSweep(row: SweepRow): Promise<void> {
    const { db, adapter, log } = this.#o;
    const receipt = await adapter.receipt(row.sweep_txid!);
    if (receipt !== null) {
      if (!(await this.#confirmed(receipt))) return;
      const failed = receipt.status !== 'success';
      const finished = await withTransaction(db, async (trx) => {
        const locked = await trx('sweeps').where({ id: row.id }).forUpdate().first<{ status: string }>('status');
        if (locked?.status !== SweepStatus.signed && locked?.status !== SweepStatus.broadcast) return false;
        const spec = this.#o.registry.asset(row.asset);
        // Native the address holds after the sweep beyond what a later deposit brought: a token sweep leaves the top-up's
        // unburnt gas; a native sweep leaves nothing (it moved the balance minus its exact fee).
        const gasHeld = BigInt(row.native_before) + BigInt(row.topup_amount ?? '0');
        const leftover = spec.contract === undefined ? (failed ? gasHeld - receipt.fee : 0n) : gasHeld - receipt.fee;
        await trx('sweeps')
          .where({ id: row.id })
          .update({
            status: failed ? SweepStatus.failed : SweepStatus.confirmed,
            sweep_fee: receipt.fee.toString(),
            sweep_block: receipt.blockNumber,
            leftover_native: leftover.toString(),
            ...(failed ? { reason: 'sweep_reverted' } : {}),
            broadcast_at: trx.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
            finished_at: trx.raw('CURRENT_TIMESTAMP(3)'),
            updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          });
        return true;
      });
      if (finished)
        log.info(
          { sweepId: row.id, txid: row.sweep_txid, asset: row.asset, amount: row.amount, fee: receipt.fee.toString(), failed },
          failed ? 'sweep reverted' : 'sweep confirmed',
        );
      return;
    }
    if (row.status === SweepStatus.broadcast && row.since_sent_ms !== null && Number(row.since_sent_ms) < this.#o.rebroadcastAfterMs)
      return;
    try {
      await adapter.broadcast(row.sweep_raw!);
    } catch (error) {
      if (!isNonceUsed(error) || (await adapter.receipt(row.sweep_txid!)) !== null) throw error;
      // The deposit address's nonce was used by a transaction signsrv did not sign: its key was used elsewhere.
      await this.#fail(row, 'sweep_nonce_used_elsewhere');
      await raiseAlert(db, log, AlertKind.nonceUsedElsewhere, null, {
        chain: row.chain,
        sweepId: row.id,
        address: row.address,
        nonce: Number(row.sweep_nonce),
        txid: row.sweep_txid,
      });
      return;
    }
    this.#crash('signsrv.sweep_sent');
    const updated = await db('sweeps')
      .where({ id: row.id })
      .whereIn('status', [SweepStatus.signed, SweepStatus.broadcast])
      .update({
        status: SweepStatus.broadcast,
        broadcast_at: db.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
        last_broadcast_at: db.raw('CURRENT_TIMESTAMP(3)'),
        updated_at: db.raw('CURRENT_TIMESTAMP(3)'),
      });
    if (updated === 1 && row.status === SweepStatus.signed) log.info({ sweepId: row.id, txid: row.sweep_txid }, 'sweep broadcast');
  }

  /** Ends an open sweep as failed (one transaction; a row already final is left alone). */
  async #fail(row: SweepRow, reason: string): Promise<void> {
    const { db } = this.#o;
    await db('sweeps')
      .where({ id: row.id })
      .whereIn('status', [SweepStatus.planned, SweepStatus.toppedUp, SweepStatus.signed, SweepStatus.broadcast])
      .update({
        status: SweepStatus.failed,
        reason,
        finished_at: db.raw('CURRENT_TIMESTAMP(3)'),
        updated_at: db.raw('CURRENT_TIMESTAMP(3)'),
      });
  }

  /** Whether a mined transaction has the native asset's confirmations on the node's chain. */
  async #confirmed(receipt: OutgoingTx): Promise<boolean> {
    const head = await this.#o.adapter.head();
    return head.number - receipt.blockNumber + 1 >= this.#confirmations;
  }
}

/** How many open sweeps one pass advances at once. */
const SWEEP_CONCURRENCY = 8;

/** The node refused a transaction because its sender's nonce is used already. */
function isNonceUsed(error: unknown): boolean {
  return isWalletError(error, 'CONFLICT') && error.details['reason'] === 'nonce_used';
}
