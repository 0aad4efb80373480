import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import type { EvmAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import { type EvmSigner, type ParsedEip1559Tx, encodeErc20Transfer, parseSignedEip1559 } from '@wallet/signer';
import { AlertKind, type WithdrawalRow, raiseAlert, raiseAlertOnce } from '@wallet/withdrawal-protocol';
import type { BroadcastOutcome, Built, Drafted, InFlightTx, PayoutFamily, SignedPayout, StoredTx } from '../PayoutFamily.js';
import { SINCE_SENT_MS } from '../txStore.js';
import { allocateNonces, initNonceAllocator } from './allocateNonce.js';
import { type Fees, bumpedFees, cappedFees, gasLimitOf } from './evmFees.js';

/** The call that pays a withdrawal: a value transfer, or the token's `transfer(to, amount)`. */
export type EvmCall = { readonly to: string; readonly value: bigint; readonly data: string };

/** Built outside the lock: the call, its gas limit, and the fees of the batch. */
export type EvmDraft = { readonly call: EvmCall; readonly gasLimit: bigint; readonly fees: Fees };
/** A draft with its nonce, allocated in the signing transaction. */
export type EvmUnsigned = EvmDraft & { readonly withdrawalId: string; readonly nonce: number };
/** A stuck transaction, as signed, and the fees its replacement offers. */
export type EvmReplacement = { readonly tx: InFlightTx; readonly original: ParsedEip1559Tx; readonly fees: Fees };

/** Options of {@link EvmPayoutFamily}. */
export type EvmPayoutFamilyOptions = {
  readonly chain: ChainSpec;
  readonly adapter: EvmAdapter;
  /** The hot wallet's key. */
  readonly signer: EvmSigner;
  /** For the chain's assets (native, or a token's contract). */
  readonly registry: AssetRegistry;
  readonly db: Knex;
  readonly log: Logger;
  /** The most signsrv will ever offer per gas (maxFeePerGas), however busy the chain. */
  readonly maxFeePerGas: bigint;
  /** How much a replacement raises both fee fields, in percent (nodes want at least 10). @default 25 */
  readonly bumpPercent?: number;
};

/**
 * Payouts on an EVM chain: one EIP-1559 transaction per withdrawal from the hot wallet, numbered by the MySQL nonce
 * allocator (`nonce_counters`, `nonce_assignments`: one nonce per withdrawal, for ever), paying ETH by value or a token
 * by `transfer(to, amount)`. A stuck transaction is replaced with the same nonce, call and gas and higher fees; only
 * the hot wallet's next nonce to be mined is replaced (those behind it wait for it, not for a fee). At every pass the
 * allocator is compared with the chain: moved forward when something else used the hot wallet's nonces
 * (`nonce_ahead`), and transactions the chain forgot after mining them are re-sent (`nonce_behind_chain`).
 */
export class EvmPayoutFamily implements PayoutFamily<EvmDraft, EvmUnsigned, EvmReplacement> {
  readonly chain: string;
  readonly address: string;
  readonly #o: EvmPayoutFamilyOptions;
  /** The chain's nonce of the hot wallet at this pass's reconcile: its next transaction to be mined (undefined: unknown). */
  #minedNonce: number | undefined;

  constructor(options: EvmPayoutFamilyOptions) {
    this.#o = options;
    this.chain = options.chain.id;
    this.address = options.signer.address;
  }

  isActiveSender(from: string): boolean {
    return sameAddress(from, this.address);
  }

  async init(): Promise<void> {
    const { next } = await this.#syncNonces();
    this.#o.log.info({ hotWallet: this.address, nextNonce: next }, 'hot wallet ready');
  }

  async reconcile(): Promise<readonly (InFlightTx & { since_sent_ms: string | number })[]> {
    const { log } = this.#o;
    this.#minedNonce = undefined;
    let chainNonce: number;
    try {
      ({ chainNonce } = await this.#syncNonces());
    } catch (error) {
      log.warn({ err: error }, 'nonce check failed');
      return [];
    }
    this.#minedNonce = chainNonce;
    try {
      return await this.#forgotten(chainNonce);
    } catch (error) {
      log.warn({ err: error }, 'checking the chain for forgotten transactions failed');
      return [];
    }
  }

  destinationIsContract(address: string): Promise<boolean> {
    return this.#o.adapter.hasCode(address);
  }

  async build(rows: readonly WithdrawalRow[]): Promise<Built<EvmDraft>> {
    const drafts = new Map<string, EvmDraft>();
    const errors = new Map<string, unknown>();
    // One fee estimate for the batch, asked once the first call is built.
    let fees: Promise<Fees> | undefined;
    await Promise.all(
      rows.map(async (row) => {
        try {
          const call = this.#call(row);
          fees ??= this.#fees();
          const [gasLimit, f] = await Promise.all([this.#gasLimit(call), fees]);
          drafts.set(row.id, { call, gasLimit, fees: f });
        } catch (error) {
          errors.set(row.id, error);
        }
      }),
    );
    return { drafts, errors };
  }

  async reserve(trx: Knex.Transaction, drafted: readonly Drafted<EvmDraft>[]): Promise<readonly EvmUnsigned[]> {
    const nonces = await allocateNonces(
      trx,
      this.chain,
      this.address,
      drafted.map((d) => d.row.id),
    );
    return drafted.map((d) => ({ ...d.draft, withdrawalId: d.row.id, nonce: nonces.get(d.row.id)! }));
  }

  async sign(u: EvmUnsigned): Promise<SignedPayout> {
    const signed = this.#o.signer.sign({
      chainId: this.#o.adapter.evmChainId,
      nonce: u.nonce,
      to: u.call.to,
      value: u.call.value,
      data: u.call.data,
      gasLimit: u.gasLimit,
      maxFeePerGas: u.fees.maxFeePerGas,
      maxPriorityFeePerGas: u.fees.maxPriorityFeePerGas,
    });
    return {
      members: [{ withdrawalId: u.withdrawalId }],
      txid: signed.txid,
      raw: signed.raw,
      from: this.address,
      nonce: u.nonce,
      columns: columnsOf(u.gasLimit, u.fees),
    };
  }

  async hasReservation(trx: Knex.Transaction, withdrawalId: string): Promise<boolean> {
    const nonce = await trx('nonce_assignments')
      .where({ withdrawal_id: withdrawalId })
      .forUpdate()
      .first<{ nonce: string } | undefined>('nonce');
    return nonce !== undefined;
  }

  async dropUnsigned(): Promise<void> {
    // Nothing is held before the signing transaction: the nonce is reserved in it.
  }

  verifySigned(tx: StoredTx, row: WithdrawalRow): string[] {
    const original = parseSignedEip1559(tx.raw);
    const call = this.#call(row);
    const problems: string[] = [];
    if (!sameAddress(original.to, call.to) || original.value !== call.value || original.data.toLowerCase() !== call.data.toLowerCase()) {
      problems.push('call');
    }
    if (
      original.nonce !== Number(tx.nonce) ||
      original.chainId !== this.#o.adapter.evmChainId ||
      !sameAddress(original.from, tx.from_address)
    ) {
      problems.push('signed_transaction');
    }
    return problems;
  }

  mayReplace(tx: InFlightTx): boolean {
    return this.#minedNonce === Number(tx.nonce);
  }

  async planReplacement(tx: InFlightTx): Promise<EvmReplacement | null> {
    const stuck = storedFees(tx);
    const market = await this.#fees().catch(() => null);
    const fees = bumpedFees(stuck, market, this.#o.maxFeePerGas, BigInt(this.#o.bumpPercent ?? 25));
    if (fees === null) {
      this.#o.log.warn(
        { withdrawalId: tx.withdrawal_id, txid: tx.txid, cap: this.#o.maxFeePerGas.toString() },
        'stuck, but the fee cap allows no bump: re-sending it as it is',
      );
      return null;
    }
    return { tx, original: parseSignedEip1559(tx.raw), fees };
  }

  async signReplacement(plan: EvmReplacement): Promise<SignedPayout> {
    const { tx, original, fees } = plan;
    const signed = this.#o.signer.sign({
      chainId: original.chainId,
      nonce: original.nonce,
      to: original.to,
      value: original.value,
      data: original.data,
      gasLimit: original.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    return {
      members: [{ withdrawalId: tx.withdrawal_id }],
      txid: signed.txid,
      raw: signed.raw,
      from: tx.from_address,
      nonce: Number(tx.nonce),
      columns: columnsOf(original.gasLimit, fees),
    };
  }

  async broadcast(tx: StoredTx): Promise<BroadcastOutcome> {
    try {
      await this.#o.adapter.broadcast(tx.raw);
      return 'sent';
    } catch (error) {
      if (isWalletError(error, 'CONFLICT') && error.details['reason'] === 'nonce_used') return 'inputs_used';
      throw error;
    }
  }

  async isMined(txid: string): Promise<boolean> {
    return (await this.#o.adapter.receipt(txid)) !== null;
  }

  async close(): Promise<void> {
    this.#o.signer.wipe();
    await this.#o.adapter.close();
  }

  /**
   * Moves the hot wallet's allocator forward when the chain has mined more of its transactions than signsrv ever
   * numbered: something else sent from the hot wallet (alarm). Without this, every later withdrawal would be
   * signed with a nonce already used.
   * @returns the allocator's next nonce, and the chain's: the nonce of the hot wallet's next transaction to be mined
   */
  async #syncNonces(): Promise<{ next: number; chainNonce: number }> {
    const { db, log, adapter } = this.#o;
    const chainNonce = await adapter.nonceOf(this.address, 'latest');
    const { next, chainAheadBy } = await initNonceAllocator(db, this.chain, this.address, chainNonce);
    if (chainAheadBy > 0) {
      await raiseAlert(db, log, AlertKind.nonceAhead, null, {
        chain: this.chain,
        address: this.address,
        chainNonce,
        aheadBy: chainAheadBy,
      });
    }
    return { next, chainNonce };
  }

  /**
   * The chain went back behind what signsrv knows it mined (its history changed under the settled books: a reorg
   * racing mining, a node restored from an older state): the hot wallet's nonce on chain is at or below the nonce of
   * a settled withdrawal, or of one the scanner saw mined. That transaction is gone, and every later nonce waits
   * behind it in the pool. Each such transaction is to be re-sent exactly as it was stored (the same signed bytes, so
   * the same payment and the same txid: never a new payment, never re-signed) until the chain's nonce passes it; a
   * `nonce_behind_chain` alarm is raised once per withdrawal.
   *
   * Only nonces at or above the chain's are read (the allocator's range index), so this costs one indexed read per
   * pass however many withdrawals were ever settled.
   * @returns those transactions, with how long since each was last sent
   */
  async #forgotten(chainNonce: number): Promise<(InFlightTx & { since_sent_ms: string | number })[]> {
    const { db, log, adapter } = this.#o;
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
      [this.chain, this.address, chainNonce],
    )) as [(InFlightTx & { withdrawal_status: string; since_sent_ms: string | number })[]];
    if (found.length === 0) return [];
    // The nonce was read before the rows: a transaction mined and recorded in between is not forgotten. Ask again.
    const now = await adapter.nonceOf(this.address, 'latest');
    const forgotten = found.filter((t) => Number(t.nonce) >= now);
    for (const tx of forgotten) {
      await raiseAlertOnce(db, log, AlertKind.nonceBehindChain, tx.withdrawal_id, {
        chain: this.chain,
        address: this.address,
        chainNonce: now,
        nonce: Number(tx.nonce),
        txid: tx.txid,
        status: tx.withdrawal_status,
      });
    }
    return forgotten;
  }

  /** The call that pays a withdrawal: a value transfer, or the token's transfer(to, amount). */
  #call(w: WithdrawalRow): EvmCall {
    const asset = this.#o.registry.asset(w.asset);
    if (asset.contract === undefined) return { to: w.to_address, value: BigInt(w.amount), data: '0x' };
    return { to: asset.contract, value: 0n, data: encodeErc20Transfer(w.to_address, BigInt(w.amount)) };
  }

  async #gasLimit(call: EvmCall): Promise<bigint> {
    const estimate = await this.#o.adapter.estimateGas({ from: this.address, to: call.to, value: call.value, data: call.data });
    return gasLimitOf(estimate, call.data);
  }

  /** EIP-1559 fees now, capped. @throws WalletError UNAVAILABLE when the base fee alone is above the cap (wait) */
  async #fees(): Promise<Fees> {
    return cappedFees(await this.#o.adapter.feeEstimate(), this.#o.maxFeePerGas);
  }
}

/** The EVM columns of `withdrawal_txs`. */
function columnsOf(gasLimit: bigint, fees: Fees): Record<string, string> {
  return {
    gas_limit: gasLimit.toString(),
    max_fee_per_gas: fees.maxFeePerGas.toString(),
    max_priority_fee_per_gas: fees.maxPriorityFeePerGas.toString(),
  };
}

/** The fees a stored transaction offers, from its EVM columns. */
function storedFees(tx: StoredTx): Fees {
  return { maxFeePerGas: BigInt(String(tx['max_fee_per_gas'])), maxPriorityFeePerGas: BigInt(String(tx['max_priority_fee_per_gas'])) };
}

/** Whether two EVM addresses are the same (checksummed or not). */
function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
