import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import type { EvmAdapter, OutgoingTx } from '@wallet/chains';
import { type Knex, withTransaction } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { type CrashPoint, noCrashPoints } from '@wallet/lifecycle';
import type { Logger } from '@wallet/logger';
import { type EvmSigner, encodeErc20Transfer } from '@wallet/signer';
import { AlertKind, raiseAlert, raiseAlertOnce } from '@wallet/withdrawal-protocol';
import { getCreateAddress } from 'ethers';
import type { AuditFn } from '../review/Audit.js';
import { assertSigningAllowed } from '../review/signingAllowed.js';
import { takeNonces } from '../evm/allocateNonce.js';
import { cappedFees, gasLimitOf } from '../evm/evmFees.js';
import { MoveKind, type MoveRow, MoveStatus } from './moves.js';

export type EvmMoveSenderOptions = {
  readonly chain: ChainSpec;
  readonly adapter: EvmAdapter;
  /** The hot wallet's key (the same as the chain's payout family's): treasury moves leave from the hot wallet. */
  readonly hotWallet: EvmSigner;
  readonly registry: AssetRegistry;
  readonly db: Knex;
  readonly log: Logger;
  readonly maxFeePerGas: bigint;
  /** An unmined transaction is sent again this often (ms). */
  readonly rebroadcastAfterMs: number;
  readonly audit?: AuditFn;
  /** Test-only crash points. */
  readonly crash?: CrashPoint;
};

/** A move row with how long since its transaction was last sent (MySQL's clock). */
type OpenMove = MoveRow & { readonly since_sent_ms: string | number | null };

/** The call a move makes from the hot wallet. */
type MoveCall = { readonly to: string | null; readonly value: bigint; readonly data: string };

/**
 * Signs and sends the approved treasury moves of one EVM chain (cold transfers, contract calls), each advanced from its
 * MySQL state by {@link pass}:
 *
 * ```
 * approved -> signed (the hot wallet's next nonce, taken from the withdrawals' allocator in the same transaction)
 *          -> broadcast -> confirmed | failed (reverted: its fee recorded)
 * approved -> failed (not signed: the call would revert, or the hot wallet cannot pay it)
 * ```
 *
 * Like a withdrawal: signed only inside a transaction that re-reads the row and the kill switches (global and the
 * asset's), stored before it is sent, and from then on only re-sent as the same bytes, so kill -9 at any point neither
 * pays twice nor loses the payment. The nonce comes from the same allocator as withdrawals', so the two never collide.
 */
export class EvmMoveSender {
  readonly #o: EvmMoveSenderOptions;
  readonly #crash: CrashPoint;
  readonly #confirmations: number;

  constructor(options: EvmMoveSenderOptions) {
    this.#o = options;
    this.#crash = options.crash ?? noCrashPoints;
    this.#confirmations = options.registry.asset(options.chain.nativeAsset).confirmations;
  }

  /** Wipes the hot wallet key this sender holds (call after the job has stopped). */
  close(): void {
    this.#o.hotWallet.wipe();
  }

  get address(): string {
    return this.#o.hotWallet.address;
  }

  /** Advances every open move of the chain by one step each (oldest first). Never throws. */
  async pass(): Promise<void> {
    const { log } = this.#o;
    let open: OpenMove[];
    try {
      open = await this.openMoves();
    } catch (error) {
      log.warn({ err: error }, 'reading treasury moves failed; retrying');
      return;
    }
    for (const row of open) {
      try {
        await this.advance(row);
      } catch (error) {
        log.warn({ err: error, moveId: row.id, status: row.status }, 'treasury move step failed; retrying');
      }
    }
  }

  /** The chain's approved, signed and broadcast moves, oldest first. */
  async openMoves(): Promise<OpenMove[]> {
    const [rows] = (await this.#o.db.raw(
      `SELECT m.*, CAST(m.amount AS CHAR) AS amount, CAST(m.gas_price AS CHAR) AS gas_price, CAST(m.fee AS CHAR) AS fee,
         TIMESTAMPDIFF(MICROSECOND, m.last_broadcast_at, CURRENT_TIMESTAMP(3)) DIV 1000 AS since_sent_ms
       FROM treasury_moves m WHERE m.chain = ? AND m.status IN ('approved', 'signed', 'broadcast') ORDER BY m.id`,
      [this.#o.chain.id],
    )) as [OpenMove[]];
    return rows;
  }

  /** One step of one move, from what MySQL says it is and what the node says it did. */
  async advance(row: OpenMove): Promise<void> {
    if (row.status === MoveStatus.approved) return this.#sign(row);
    if (row.status === MoveStatus.signed || row.status === MoveStatus.broadcast) return this.#follow(row);
  }

  #call(row: MoveRow): MoveCall {
    const amount = BigInt(row.amount);
    if (row.kind === MoveKind.contractCall) return { to: row.to_address, value: amount, data: row.data };
    const spec = this.#o.registry.asset(row.asset);
    if (spec.contract === undefined) return { to: row.to_address, value: amount, data: '0x' };
    return { to: spec.contract, value: 0n, data: encodeErc20Transfer(row.to_address!, amount) };
  }

  /** approved -> signed, or -> failed when it cannot be paid (the call reverts, the hot wallet is short). */
  async #sign(row: OpenMove): Promise<void> {
    const { db, adapter, hotWallet, chain, log } = this.#o;
    const call = this.#call(row);
    let gasLimit: bigint;
    try {
      gasLimit = gasLimitOf(await adapter.estimateGas({ from: hotWallet.address, ...call }), call.data);
    } catch (error) {
      if (isWalletError(error, 'VALIDATION_FAILED') && error.details['reason'] === 'execution_reverted') {
        await this.#fail(row, 'would_revert', { message: error.message });
        return;
      }
      if (isWalletError(error, 'VALIDATION_FAILED') && error.details['reason'] === 'insufficient_funds') {
        await this.#fail(row, 'hot_wallet_short', { message: error.message });
        return;
      }
      throw error;
    }
    const fees = cappedFees(await adapter.feeEstimate(), this.#o.maxFeePerGas);
    // The hot wallet must hold what it sends and the most the gas can cost, and the token amount for a token transfer.
    const native = await adapter.balanceOf(hotWallet.address);
    const spec = this.#o.registry.asset(row.asset);
    const tokenShort =
      row.kind === MoveKind.coldTransfer && spec.contract !== undefined
        ? (await adapter.tokenBalanceOf(spec.contract, hotWallet.address)) < BigInt(row.amount)
        : false;
    if (native < call.value + gasLimit * fees.maxFeePerGas || tokenShort) {
      await this.#fail(row, 'hot_wallet_short', {
        native: native.toString(),
        needs: (call.value + gasLimit * fees.maxFeePerGas).toString(),
        tokenShort,
      });
      return;
    }
    const signed = await withTransaction(db, async (trx) => {
      const locked = await trx<MoveRow>('treasury_moves').where({ id: row.id }).forUpdate().first();
      if (locked?.status !== MoveStatus.approved) return null;
      await assertSigningAllowed(trx, [row.asset]);
      const nonce = await takeNonces(trx, chain.id, hotWallet.address, 1);
      const tx = hotWallet.sign({
        chainId: adapter.evmChainId,
        nonce,
        to: call.to,
        value: call.value,
        data: call.data,
        gasLimit,
        maxFeePerGas: fees.maxFeePerGas,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      });
      await trx('treasury_moves')
        .where({ id: row.id })
        .update({
          status: MoveStatus.signed,
          nonce,
          gas_limit: gasLimit.toString(),
          gas_price: fees.maxFeePerGas.toString(),
          txid: tx.txid,
          raw: tx.raw,
          contract_address: call.to === null ? getCreateAddress({ from: hotWallet.address, nonce }) : null,
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      await this.#o.audit?.(trx, {
        actor: 'signsrv',
        action: 'signed_treasury_move',
        subject: row.id,
        details: { kind: row.kind, chain: chain.id, asset: row.asset, to: call.to, value: call.value.toString(), txid: tx.txid, nonce },
      });
      return { ...tx, nonce };
    });
    if (signed === null) return;
    log.info({ moveId: row.id, kind: row.kind, txid: signed.txid, nonce: signed.nonce }, 'treasury move signed');
    this.#crash('signsrv.treasury_move_signed');
    await this.#follow({ ...row, status: MoveStatus.signed, raw: signed.raw, txid: signed.txid, since_sent_ms: null });
  }

  /** signed/broadcast: sent and re-sent as the same bytes until its receipt has the confirmations; then final. */
  async #follow(row: OpenMove): Promise<void> {
    const { db, adapter, log } = this.#o;
    const receipt = await adapter.receipt(row.txid!);
    if (receipt !== null) {
      if (!(await this.#confirmed(receipt))) return;
      const failed = receipt.status !== 'success';
      const done = await withTransaction(db, async (trx) => {
        const locked = await trx<MoveRow>('treasury_moves').where({ id: row.id }).forUpdate().first();
        if (locked?.status !== MoveStatus.signed && locked?.status !== MoveStatus.broadcast) return false;
        await trx('treasury_moves')
          .where({ id: row.id })
          .update({
            status: failed ? MoveStatus.failed : MoveStatus.confirmed,
            fee: receipt.fee.toString(),
            block: receipt.blockNumber,
            ...(failed ? { reason: 'reverted', contract_address: null } : {}),
            broadcast_at: trx.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
            finished_at: trx.raw('CURRENT_TIMESTAMP(3)'),
            updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          });
        await this.#o.audit?.(trx, {
          actor: 'signsrv',
          action: failed ? 'treasury_move_failed' : 'treasury_move_confirmed',
          subject: row.id,
          details: { txid: row.txid, block: receipt.blockNumber, fee: receipt.fee.toString(), status: receipt.status },
        });
        return true;
      });
      if (done)
        log.info(
          { moveId: row.id, txid: row.txid, fee: receipt.fee.toString(), failed },
          failed ? 'treasury move reverted' : 'treasury move confirmed',
        );
      return;
    }
    if (row.status === MoveStatus.broadcast && row.since_sent_ms !== null && Number(row.since_sent_ms) < this.#o.rebroadcastAfterMs) return;
    try {
      await adapter.broadcast(row.raw!);
    } catch (error) {
      if (isWalletError(error, 'VALIDATION_FAILED')) {
        // The node refuses these very bytes (the hot wallet cannot pay the gas now): re-sent each pass, with one alarm;
        // later nonces (withdrawals too) wait behind it until operators fund the hot wallet.
        await raiseAlertOnce(db, log, AlertKind.sendRefused, row.id, {
          chain: row.chain,
          moveId: row.id,
          txid: row.txid,
          cause: error.message,
        });
      }
      const nonceUsed = isWalletError(error, 'CONFLICT') && error.details['reason'] === 'nonce_used';
      if (!nonceUsed || (await adapter.receipt(row.txid!)) !== null) throw error;
      // The hot wallet's nonce was used by a transaction signsrv did not sign: its key was used elsewhere.
      await this.#fail(row, 'nonce_used_elsewhere', {});
      await raiseAlert(db, log, AlertKind.nonceUsedElsewhere, null, {
        chain: row.chain,
        moveId: row.id,
        address: row.from_address,
        nonce: Number(row.nonce),
        txid: row.txid,
      });
      return;
    }
    this.#crash('signsrv.treasury_move_sent');
    const updated = await db('treasury_moves')
      .where({ id: row.id })
      .whereIn('status', [MoveStatus.signed, MoveStatus.broadcast])
      .update({
        status: MoveStatus.broadcast,
        broadcast_at: db.raw('COALESCE(broadcast_at, CURRENT_TIMESTAMP(3))'),
        last_broadcast_at: db.raw('CURRENT_TIMESTAMP(3)'),
        updated_at: db.raw('CURRENT_TIMESTAMP(3)'),
      });
    if (updated === 1 && row.status === MoveStatus.signed) log.info({ moveId: row.id, txid: row.txid }, 'treasury move broadcast');
  }

  /** Ends an open move as failed (a final row is left alone), audited. */
  async #fail(row: MoveRow, reason: string, details: Record<string, unknown>): Promise<void> {
    const { db, log } = this.#o;
    const done = await withTransaction(db, async (trx) => {
      const n = await trx('treasury_moves')
        .where({ id: row.id })
        .whereIn('status', [MoveStatus.approved, MoveStatus.signed, MoveStatus.broadcast])
        .update({
          status: MoveStatus.failed,
          reason,
          finished_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        });
      if (n === 1)
        await this.#o.audit?.(trx, { actor: 'signsrv', action: 'treasury_move_failed', subject: row.id, details: { reason, ...details } });
      return n === 1;
    });
    if (done) log.warn({ moveId: row.id, kind: row.kind, reason, ...details }, 'treasury move failed');
  }

  async #confirmed(receipt: OutgoingTx): Promise<boolean> {
    const head = await this.#o.adapter.head();
    return head.number - receipt.blockNumber + 1 >= this.#confirmations;
  }
}
