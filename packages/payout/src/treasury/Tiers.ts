import type { AssetRegistry } from '@wallet/assets';
import { type Knex, withTransaction } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import type { AuditFn } from '../review/Audit.js';
import { planColdTransfer } from './moves.js';

/** One asset's tiers, in base units: above `cap` the excess goes to `cold` (after review); below `floor`, an alarm. */
export type AssetTier = {
  readonly asset: string;
  readonly chain: string;
  readonly cap?: bigint;
  readonly floor?: bigint;
  /** Where the excess goes: an address of an offline wallet this system holds no key of. */
  readonly cold?: string;
};

/** Reads what the hot wallet holds of an asset now (EVM: the node's balance; UTXO: the wallet's own outputs). */
export type HotReader = (asset: string) => Promise<bigint>;

export type TiersOptions = {
  readonly db: Knex;
  readonly log: Logger;
  readonly registry: AssetRegistry;
  readonly tiers: readonly AssetTier[];
  /** Per chain, the reader of its hot wallet's holdings, and the hot address moves leave from. */
  readonly hot: ReadonlyMap<string, { readonly address: string; readonly read: HotReader }>;
  /** Admin approvals a cold transfer needs. */
  readonly approvals: number;
  readonly audit?: AuditFn;
  /** Told when a chain's hot wallet runs under a floor (the sweep job of that chain runs at once). */
  readonly onLow?: (chain: string) => void;
};

/**
 * The tier check of each configured asset, on every pass of signsrv's treasury job: measures the hot wallet, records
 * the measure in `treasury_tiers` (walletctl and the console show it), plans a cold transfer of the excess over the
 * cap (one open at a time per asset: it waits for the admins' review), and raises `hot_wallet_below_floor` once per
 * episode under the floor (the row's `below_floor_since`, set and cleared in MySQL: a restart neither repeats the
 * alarm nor forgets the episode). A refill that brings the hot wallet back over the floor ends the episode.
 */
export class Tiers {
  readonly #o: TiersOptions;

  constructor(options: TiersOptions) {
    this.#o = options;
  }

  /** Writes the configured tiers into `treasury_tiers` (configuration, as operated addresses are recorded at start). */
  async init(): Promise<void> {
    const { db } = this.#o;
    for (const t of this.#o.tiers) {
      await db.raw(
        `INSERT INTO treasury_tiers (asset, chain, cap, floor, cold_address) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE chain = VALUES(chain), cap = VALUES(cap), floor = VALUES(floor),
           cold_address = VALUES(cold_address), updated_at = CURRENT_TIMESTAMP(3)`,
        [t.asset, t.chain, t.cap?.toString() ?? null, t.floor?.toString() ?? null, t.cold ?? null],
      );
    }
    // Assets no longer configured keep no thresholds (their last measure stays for the record).
    const configured = this.#o.tiers.map((t) => t.asset);
    await db('treasury_tiers')
      .modify((q) => (configured.length > 0 ? void q.whereNotIn('asset', configured) : undefined))
      .update({ cap: null, floor: null, cold_address: null });
  }

  /** One pass over every configured asset. Never throws: a failure is logged and retried on the next pass. */
  async pass(): Promise<void> {
    for (const tier of this.#o.tiers) {
      try {
        await this.check(tier);
      } catch (error) {
        this.#o.log.warn({ err: error, asset: tier.asset }, 'tier check failed; retrying');
      }
    }
  }

  /** Checks one asset's tiers. */
  async check(tier: AssetTier): Promise<void> {
    const { db, log } = this.#o;
    const hotWallet = this.#o.hot.get(tier.chain);
    if (!hotWallet) return;
    const hot = await hotWallet.read(tier.asset);
    const below = tier.floor !== undefined && hot < tier.floor;
    const episode = await withTransaction(db, async (trx) => {
      const row = await trx('treasury_tiers')
        .where({ asset: tier.asset })
        .forUpdate()
        .first<{ below_floor_since: Date | null } | undefined>();
      const since = row?.below_floor_since ?? null;
      await trx('treasury_tiers')
        .where({ asset: tier.asset })
        .update({
          last_hot: hot.toString(),
          measured_at: trx.raw('CURRENT_TIMESTAMP(3)'),
          ...(below && since === null ? { below_floor_since: trx.raw('CURRENT_TIMESTAMP(3)') } : {}),
          ...(!below && since !== null ? { below_floor_since: null } : {}),
        });
      if (below && since === null) {
        const started = await trx('treasury_tiers').where({ asset: tier.asset }).first<{ below_floor_since: Date }>('below_floor_since');
        // In the transaction that starts the episode: the alarm is raised once, or the episode is not recorded.
        await raiseAlert(trx, log, AlertKind.hotWalletBelowFloor, null, {
          asset: tier.asset,
          chain: tier.chain,
          hot: hot.toString(),
          floor: tier.floor.toString(),
          missing: (tier.floor - hot).toString(),
          since: started.below_floor_since.toISOString(),
          cold: tier.cold ?? null,
        });
        return 'started' as const;
      }
      return !below && since !== null ? ('ended' as const) : null;
    });
    if (episode === 'ended')
      log.info({ asset: tier.asset, hot: hot.toString(), floor: tier.floor?.toString() }, 'hot wallet back above its floor');
    if (below) this.#o.onLow?.(tier.chain);
    if (tier.cap !== undefined && tier.cold !== undefined && hot > tier.cap) {
      const excess = hot - tier.cap;
      const id = await planColdTransfer(db, this.#o.audit, {
        chain: tier.chain,
        asset: tier.asset,
        from: hotWallet.address,
        to: tier.cold,
        amount: excess,
        approvals: this.#o.approvals,
        note: `hot wallet ${hot} over its cap ${tier.cap}: the excess to cold`,
      });
      if (id !== null)
        log.info(
          { moveId: id, asset: tier.asset, hot: hot.toString(), cap: tier.cap.toString(), excess: excess.toString() },
          'cold transfer planned; awaiting review',
        );
    }
  }
}
