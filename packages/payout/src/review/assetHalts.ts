import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import type { AuditFn } from './Audit.js';
import type { Principal } from './Principal.js';
import { requireAdmin } from './policyStore.js';

/** Who halts an asset automatically: reconciliation, on a shortfall beyond its tolerance. */
export const RECONCILIATION_ACTOR = 'reconciliation';

/** The kill switch of one asset (asset_signing_halts). */
export type AssetHalt = {
  readonly asset: string;
  /** While set nothing of this asset is signed (payouts, consolidations); other assets keep paying. */
  readonly halted: boolean;
  readonly haltedBy: string | null;
  readonly reason: string | null;
  readonly haltedAt: Date | null;
  /** By how much the holdings were short of the liabilities when last found (base units), and since when. */
  readonly shortfall: bigint | null;
  readonly shortfallSince: Date | null;
  readonly releasedBy: string | null;
  readonly releasedAt: Date | null;
};

type HaltRow = {
  asset: string;
  halted: number;
  halted_by: string | null;
  reason: string | null;
  halted_at: Date | null;
  shortfall: string | null;
  shortfall_since: Date | null;
  released_by: string | null;
  released_at: Date | null;
};

function toHalt(r: HaltRow): AssetHalt {
  return {
    asset: r.asset,
    halted: Boolean(r.halted),
    haltedBy: r.halted_by,
    reason: r.reason,
    haltedAt: r.halted_at,
    shortfall: r.shortfall === null ? null : BigInt(r.shortfall),
    shortfallSince: r.shortfall_since,
    releasedBy: r.released_by,
    releasedAt: r.released_at,
  };
}

/** Every asset's switch that was ever set (assets never halted have no row), by asset. */
export async function assetHalts(db: Knex): Promise<AssetHalt[]> {
  const rows = await db<HaltRow>('asset_signing_halts').orderBy('asset').select('*');
  return rows.map(toHalt);
}

/**
 * The halted ones among `assets`, read in the caller's transaction.
 * @param lock `share` inside a signing transaction: halting an asset (a locking write of its row) waits for the
 * signing transactions past this read, and every later one sees the halt
 */
export async function haltedAssets(db: Knex, assets: readonly string[], lock?: 'share'): Promise<Map<string, AssetHalt>> {
  const wanted = [...new Set(assets)];
  if (wanted.length === 0) return new Map();
  const q = db<HaltRow>('asset_signing_halts').whereIn('asset', wanted).orderBy('asset').select('*');
  if (lock === 'share') void q.forShare();
  const rows = await q;
  return new Map(rows.filter((r) => Boolean(r.halted)).map((r) => [r.asset, toHalt(r)]));
}

/** The error a withdrawal (or consolidation) of a halted asset gets: the same code as the global kill switch. */
export function assetHaltedError(halt: AssetHalt): WalletError {
  return new WalletError('SIGNING_PAUSED', `signing of ${halt.asset} is halted (kill switch of the asset)`, {
    details: {
      asset: halt.asset,
      pausedBy: halt.haltedBy,
      reason: halt.reason,
      shortfall: halt.shortfall === null ? null : halt.shortfall.toString(),
      since: halt.shortfallSince?.toISOString() ?? null,
    },
  });
}

/**
 * Halts signing of `asset` (reconciliation's shortfall): the row is written under its lock, so once this returns no
 * signing transaction of the asset commits a signature until an admin releases it. An asset already halted keeps its
 * first halt (who, when, why); its shortfall figure is brought up to date. Audited in the same transaction.
 * @returns whether this call halted it (false: it already was)
 */
export async function haltAsset(
  db: Knex,
  audit: AuditFn,
  actor: string,
  asset: string,
  reason: string,
  shortfall: bigint,
  since: Date,
): Promise<boolean> {
  return withTransaction(db, async (trx) => {
    await trx.raw('INSERT IGNORE INTO asset_signing_halts (asset) VALUES (?)', [asset]);
    const row = await trx<HaltRow>('asset_signing_halts').where({ asset }).forUpdate().first();
    if (row && Boolean(row.halted)) {
      await trx('asset_signing_halts')
        .where({ asset })
        .update({ shortfall: shortfall.toString(), updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
      return false;
    }
    await trx('asset_signing_halts')
      .where({ asset })
      .update({
        halted: true,
        halted_by: actor,
        reason: reason.slice(0, 200),
        halted_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        shortfall: shortfall.toString(),
        shortfall_since: since,
        updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
      });
    await audit(trx, {
      actor,
      action: 'asset_signing_halted',
      subject: asset,
      details: { reason, shortfall: shortfall.toString(), since: since.toISOString() },
    });
    return true;
  });
}

/**
 * Releases an asset's halt: admins only, with a reason, audited. Reconciliation halts it again on its next pass if
 * the shortfall is still beyond the tolerance.
 * @throws WalletError FORBIDDEN (not an admin), VALIDATION_FAILED (no reason), CONFLICT (the asset is not halted)
 */
export async function releaseAsset(db: Knex, audit: AuditFn, by: Principal, asset: string, reason: string): Promise<AssetHalt> {
  requireAdmin(by);
  const why = reason.trim();
  if (why.length === 0 || why.length > 200) {
    throw new WalletError('VALIDATION_FAILED', 'a release needs a reason (1..200 characters)', { details: { field: 'reason' } });
  }
  await withTransaction(db, async (trx) => {
    const row = await trx<HaltRow>('asset_signing_halts').where({ asset }).forUpdate().first();
    if (!row || !row.halted) throw new WalletError('CONFLICT', `signing of ${asset} is not halted`, { details: { asset } });
    await trx('asset_signing_halts')
      .where({ asset })
      .update({
        halted: false,
        released_by: by.id,
        released_at: trx.raw('CURRENT_TIMESTAMP(3)'),
        updated_at: trx.raw('CURRENT_TIMESTAMP(3)'),
      });
    await audit(trx, {
      actor: by.id,
      action: 'asset_signing_released',
      subject: asset,
      details: { reason: why, haltedBy: row.halted_by, haltReason: row.reason, shortfall: row.shortfall },
    });
  });
  return toHalt((await db<HaltRow>('asset_signing_halts').where({ asset }).first())!);
}
