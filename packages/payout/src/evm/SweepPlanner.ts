import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import type { EvmAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { newId } from '@wallet/ids';
import { checksumEthAddress } from '@wallet/keys';
import type { Logger } from '@wallet/logger';
import { type EvmDepositKeys, encodeErc20Transfer } from '@wallet/signer';
import { TRANSFER_GAS, cappedFees, gasLimitOf } from './evmFees.js';
import { SweepStatus } from './SweepRow.js';

/** What {@link SweepPlanner} needs. */
export type SweepPlannerOptions = {
  readonly chain: ChainSpec;
  readonly adapter: EvmAdapter;
  readonly registry: AssetRegistry;
  readonly db: Knex;
  readonly log: Logger;
  /** The deposit account's key: signs each sweep from its deposit address (the planner checks it derives the address). */
  readonly depositKeys: EvmDepositKeys;
  /** Where everything goes: the chain's hot wallet. */
  readonly hotWallet: string;
  /** The most a sweep ever pays per gas (the chain's payout cap). */
  readonly maxFeePerGas: bigint;
  /**
   * Per asset of the chain, the credited amount (base units) at which a deposit address is swept: an asset without one
   * is never swept. The native asset's is also its dust threshold: less than this on chain, after the fee, stays.
   */
  readonly thresholds: Readonly<Record<string, bigint>>;
  /** At most this many open sweeps (not confirmed or failed) on the chain at once. */
  readonly maxInFlight: number;
};

/**
 * Decides what the sweep job moves: which deposit addresses are due (their credited deposits since their last sweep
 * reach the threshold, while fewer than `maxInFlight` sweeps are open), and for each the amount, gas and price of its
 * sweep and the top-up it needs, written as a `planned` row of `sweeps` (see EvmSweeps for what happens to it).
 */
export class SweepPlanner {
  readonly #o: SweepPlannerOptions;

  /** @throws WalletError CONFIG_INVALID for a threshold of an asset of another chain */
  constructor(options: SweepPlannerOptions) {
    this.#o = options;
    for (const asset of Object.keys(options.thresholds)) {
      if (options.registry.asset(asset).chain !== options.chain.id) {
        throw new WalletError('CONFIG_INVALID', `sweep threshold for ${asset}, which is not an asset of ${options.chain.id}`, {
          details: { chain: options.chain.id, asset },
        });
      }
    }
  }

  /**
   * Plans sweeps of the deposit addresses whose credits since their last sweep of an asset reach its threshold, while
   * fewer than `maxInFlight` are open. The on-chain balance decides the amount; an address whose balance is below the
   * threshold (after the fee, for the native asset) is left alone.
   * @returns the ids of the sweeps planned
   */
  async plan(): Promise<string[]> {
    const { db, chain, thresholds, maxInFlight } = this.#o;
    const assets = Object.keys(thresholds);
    if (assets.length === 0) return [];
    const [counted] = (await db.raw(`SELECT COUNT(*) AS n FROM sweeps WHERE chain = ? AND open_address IS NOT NULL`, [chain.id])) as [
      { n: string | number }[],
    ];
    let room = maxInFlight - Number(counted[0]?.n ?? 0);
    if (room <= 0) return [];
    // Credited deposits of each address and asset since the basis of its last sweep of that asset (the time its
    // balance was read), for addresses with no sweep open.
    const [candidates] = (await db.raw(
      `SELECT d.address, d.asset, CAST(SUM(d.amount) AS CHAR) AS credited
       FROM deposits d
       WHERE d.chain = ? AND d.status = 'credited' AND d.asset IN (${assets.map(() => '?').join(', ')})
         AND d.credited_at > COALESCE((SELECT MAX(s.created_at) FROM sweeps s
               WHERE s.chain = d.chain AND s.address = d.address AND s.asset = d.asset), '1970-01-01')
         AND NOT EXISTS (SELECT 1 FROM sweeps o WHERE o.chain = d.chain AND o.open_address = d.address)
       GROUP BY d.address, d.asset
       ORDER BY MIN(d.credited_at), d.address
       LIMIT 200`,
      [chain.id, ...assets],
    )) as [{ address: string; asset: string; credited: string }[]];
    const planned: string[] = [];
    const busy = new Set<string>();
    for (const c of candidates) {
      if (room <= 0) break;
      if (BigInt(c.credited) < thresholds[c.asset]! || busy.has(c.address)) continue;
      const id = await this.planOne(c.address, c.asset).catch((error: unknown) => {
        this.#o.log.warn({ err: error, address: c.address, asset: c.asset }, 'could not plan a sweep; retrying later');
        return null;
      });
      if (id === null) continue;
      busy.add(c.address);
      planned.push(id);
      room--;
    }
    return planned;
  }

  /**
   * Plans the sweep of one deposit address's balance of `asset`: reads the balances and the gas price, then inserts the
   * row in state `planned` (the unique open address refuses a second open sweep of the address).
   * @returns the sweep id, or null when there is nothing worth sweeping (below the threshold after the fee)
   */
  async planOne(address: string, asset: string): Promise<string | null> {
    const { db, adapter, chain, registry, thresholds, hotWallet, log } = this.#o;
    const spec = registry.asset(asset);
    const threshold = thresholds[asset];
    if (threshold === undefined || spec.chain !== chain.id) return null;
    // `sweeps` and `deposits` hold the chain's canonical form (lower-case hex); `addresses` and the keys EIP-55.
    const canonical = address.toLowerCase();
    const checksummed = checksumEthAddress(canonical.replace(/^0x/, ''));
    const owned = await db('addresses')
      .where({ chain: chain.id, address: checksummed })
      .first<{ derivation_index: string | number } | undefined>('derivation_index');
    if (!owned) return null;
    const index = Number(owned.derivation_index);
    // The key signsrv derives must be the address's: never sign from anything else.
    if (this.#o.depositKeys.address(index) !== checksummed) {
      throw new WalletError('INTEGRITY_MISMATCH', 'the deposit key does not derive the address on record', {
        details: { chain: chain.id, address: checksummed, index },
      });
    }
    // The basis: deposits credited after this instant are not in the balances read below (they trigger the next sweep).
    const [clock] = (await db.raw('SELECT CURRENT_TIMESTAMP(3) AS now')) as [{ now: Date }[]];
    const basis = clock[0]!.now;
    const estimate = await adapter.feeEstimate();
    // One price P per gas for the sweep and its top-up: the capped market maximum (see the class comment).
    const price = cappedFees(estimate, this.#o.maxFeePerGas).maxFeePerGas;
    // Balances as of the block that gives the asset its confirmations: coins that arrived since (not credited yet, and
    // still exposed to a reorg) stay for the next sweep, so a reorg cannot leave a signed sweep spending more than the
    // address holds. The address only ever loses coins to its sweeps, one open at a time: the latest balance is at
    // least this.
    const confirmedAt = Math.max(0, (await adapter.head()).number - spec.confirmations + 1);
    const nativeBalance = await adapter.balanceOf(checksummed, confirmedAt);
    let amount: bigint;
    let gasLimit: bigint;
    let topup: bigint | null = null;
    if (spec.contract === undefined) {
      gasLimit = TRANSFER_GAS;
      amount = nativeBalance - TRANSFER_GAS * price;
      if (amount < threshold) return null;
    } else {
      amount = await adapter.tokenBalanceOf(spec.contract, checksummed, confirmedAt);
      if (amount < threshold) return null;
      const data = encodeErc20Transfer(hotWallet, amount);
      gasLimit = gasLimitOf(await adapter.estimateGas({ from: checksummed, to: spec.contract, value: 0n, data }), data);
      const needed = gasLimit * price;
      if (nativeBalance < needed) topup = needed - nativeBalance;
    }
    const id = newId('swp');
    try {
      await db('sweeps').insert({
        id,
        chain: chain.id,
        asset,
        address: canonical,
        address_index: index,
        to_address: hotWallet,
        status: SweepStatus.planned,
        amount: amount.toString(),
        gas_price: price.toString(),
        gas_limit: gasLimit.toString(),
        native_before: nativeBalance.toString(),
        topup_amount: topup === null ? null : topup.toString(),
        created_at: basis,
        updated_at: basis,
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'ER_DUP_ENTRY') return null; // another planner got there first
      throw error;
    }
    log.info({ sweepId: id, asset, address: canonical, amount: amount.toString(), topup: topup?.toString() ?? null }, 'sweep planned');
    return id;
  }
}
