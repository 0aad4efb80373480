import type { AssetRegistry } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { AlertKind, raiseAlert } from '@wallet/withdrawal-protocol';
import type { AuditFn } from '../review/Audit.js';
import { RECONCILIATION_ACTOR, haltAsset } from '../review/assetHalts.js';
import { type ColdReaders, type TreasuryChains, type TreasuryFigures, measureTreasury } from './measureTreasury.js';

/** What started a pass (kept with its figures). */
export const ReconcileTrigger = { schedule: 'schedule', settlement: 'settlement', walletctl: 'walletctl' } as const;
export type ReconcileTrigger = (typeof ReconcileTrigger)[keyof typeof ReconcileTrigger];

/** One asset's pass, as kept in reconciliation_runs. */
export type ReconciliationRun = TreasuryFigures & {
  readonly id: string;
  readonly trigger: ReconcileTrigger;
  readonly tolerance: bigint;
  /** The shortfall is beyond the tolerance. */
  readonly short: boolean;
  /** Signing of the asset is halted after this pass (by this pass or an earlier one, until an admin releases it). */
  readonly halted: boolean;
  /** Since when the asset has been short without a pass in between that was not (null: not short). */
  readonly shortSince: Date | null;
  readonly at: Date;
};

export type ReconcileDeps = {
  readonly db: Knex;
  readonly log: Logger;
  readonly registry: AssetRegistry;
  readonly evm: TreasuryChains;
  /** UTXO chains' readers of the cold addresses they watch. @default none */
  readonly utxoCold?: ColdReaders;
  readonly audit: AuditFn;
  /** Per asset, the shortfall (base units) that is tolerated; 0 where not given. */
  readonly tolerances: Readonly<Record<string, bigint>>;
};

/**
 * One reconciliation pass: measures every asset (see {@link measureTreasury}), keeps each asset's figures, and halts
 * signing of every asset whose holdings are short of its liabilities by more than its tolerance (exactly the
 * tolerance is not a halt), with a `reconciliation_shortfall` alarm saying by how much and since when. A halt stays
 * until an admin releases it ({@link releaseAsset}); a pass never releases one.
 * @returns the pass's figures per asset
 */
export async function reconcile(deps: ReconcileDeps, trigger: ReconcileTrigger, only?: readonly string[]): Promise<ReconciliationRun[]> {
  const { db, log } = deps;
  const figures = await measureTreasury(
    db,
    deps.registry,
    deps.evm,
    only,
    (asset, error) =>
      log.warn({ err: error, asset }, 'reconciliation: holdings not read (node unavailable?); the asset is not judged this pass'),
    deps.utxoCold,
  );
  const runs: ReconciliationRun[] = [];
  for (const f of figures) {
    const tolerance = deps.tolerances[f.asset] ?? 0n;
    const short = -f.difference > tolerance;
    // Halt first, then keep the pass with its final figures: a reader never sees a short pass not yet marked halted
    // (kill -9 in between leaves a halt without this pass's row; the next pass is recorded).
    const now = await dbNow(db);
    let shortSince: Date | null = null;
    let newly = false;
    if (short) {
      shortSince = (await shortSinceOf(db, f.asset)) ?? now;
      const shortfall = -f.difference;
      const reason = `reconciliation: holdings short of liabilities by ${shortfall} (tolerance ${tolerance}) since ${shortSince.toISOString()}`;
      newly = await haltAsset(db, deps.audit, RECONCILIATION_ACTOR, f.asset, reason, shortfall, shortSince);
    }
    const halted = Boolean(
      (await db('asset_signing_halts').where({ asset: f.asset }).first<{ halted: number } | undefined>('halted'))?.halted ?? 0,
    );
    const [id] = await db('reconciliation_runs').insert({
      asset: f.asset,
      chain: f.chain,
      triggered_by: trigger,
      liabilities: f.liabilities.toString(),
      hot: f.hot.toString(),
      fee: f.fee.toString(),
      deposit: f.deposit.toString(),
      in_flight: f.inFlight.toString(),
      cold: f.cold.toString(),
      difference: f.difference.toString(),
      tolerance: tolerance.toString(),
      short,
      halted,
      block_number: f.block,
      created_at: now,
    });
    const runId = String(id);
    if (newly) {
      await raiseAlert(db, log, AlertKind.reconciliationShortfall, null, {
        asset: f.asset,
        chain: f.chain,
        shortfall: (-f.difference).toString(),
        tolerance: tolerance.toString(),
        since: shortSince!.toISOString(),
        liabilities: f.liabilities.toString(),
        holdings: f.holdings.toString(),
        block: f.block,
        runId,
      });
    }
    runs.push({ ...f, id: runId, trigger, tolerance, short, halted, shortSince, at: now });
  }
  log.info(
    {
      triggered_by: trigger,
      assets: runs.map((r) => ({ asset: r.asset, difference: r.difference.toString(), short: r.short, halted: r.halted })),
    },
    'reconciliation pass',
  );
  return runs;
}

/** The database's clock (the one every other timestamp of these tables is written with). */
async function dbNow(db: Knex): Promise<Date> {
  const [[row]] = (await db.raw('SELECT CURRENT_TIMESTAMP(3) AS now')) as [[{ now: Date }]];
  return row.now;
}

/** When the asset's current run of short passes began: the first short pass after its last pass that was not short. */
async function shortSinceOf(db: Knex, asset: string): Promise<Date | null> {
  const lastGood = await db('reconciliation_runs').where({ asset, short: false }).max<{ id: string | null }>('id as id').first();
  const first = await db('reconciliation_runs')
    .where({ asset, short: true })
    .andWhere('id', '>', lastGood?.id ?? 0)
    .orderBy('id')
    .first<{ created_at: Date } | undefined>('created_at');
  return first?.created_at ?? null;
}
