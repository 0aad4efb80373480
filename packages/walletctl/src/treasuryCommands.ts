import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import {
  type AssetHalt,
  type AuditFn,
  type ReconciliationRecord,
  assetHalts,
  latestReconciliations,
  liabilitiesByAsset,
  reconciliationHistory,
  releaseAsset,
} from '@wallet/payout';

type Io = { readonly out: (line: string) => void; readonly err: (line: string) => void };

export type TreasuryOptions = {
  readonly asset: string | undefined;
  readonly reason: string | undefined;
  readonly limit: string | undefined;
  readonly json: boolean;
  /** Who releases: `walletctl:<os user>`, an admin (the operator at the database host, as `console create-admin`). */
  readonly actor: string;
};

const runJson = (r: ReconciliationRecord) => ({
  id: r.id,
  at: r.at.toISOString(),
  trigger: r.trigger,
  chain: r.chain,
  liabilities: r.liabilities.toString(),
  hot: r.hot.toString(),
  fee: r.fee.toString(),
  deposit: r.deposit.toString(),
  inFlight: r.inFlight.toString(),
  cold: r.cold.toString(),
  difference: r.difference.toString(),
  tolerance: r.tolerance.toString(),
  short: r.short,
  halted: r.halted,
  block: r.block,
});

const haltJson = (h: AssetHalt | undefined) =>
  h?.halted
    ? {
        by: h.haltedBy,
        reason: h.reason,
        at: h.haltedAt?.toISOString() ?? null,
        shortfall: h.shortfall?.toString() ?? null,
        since: h.shortfallSince?.toISOString() ?? null,
      }
    : null;

/**
 * `walletctl treasury [--json]`: per asset, what users are owed now (available + frozen + pending, from the ledger),
 * the last reconciliation pass's holdings (hot, fee and sweep, deposit addresses, in flight, cold watched), its time and
 * difference, and whether signing of the asset is halted.
 * `walletctl treasury history --asset X [--limit N] [--json]`: the asset's passes, newest first.
 * `walletctl treasury release --asset X --reason TEXT`: releases the asset's halt (audited as the operator).
 * @returns the exit code (1 when an asset is halted, for `treasury`; 2 for an unknown action)
 */
export async function treasuryCommand(db: Knex, audit: AuditFn, action: string | undefined, o: TreasuryOptions, io: Io): Promise<number> {
  const print = (json: unknown, lines: string[]) => (o.json ? io.out(JSON.stringify(json, null, 2)) : lines.forEach((l) => io.out(l)));
  if (action === undefined) {
    const [owed, last, halts] = await Promise.all([liabilitiesByAsset(db), latestReconciliations(db), assetHalts(db)]);
    const haltOf = new Map(halts.map((h) => [h.asset, h]));
    const assets = [...new Set([...owed.keys(), ...last.keys(), ...halts.filter((h) => h.halted).map((h) => h.asset)])].sort();
    const rows = assets.map((asset) => {
      const l = owed.get(asset) ?? { available: 0n, frozen: 0n, pending: 0n };
      const run = last.get(asset);
      return {
        asset,
        liabilities: {
          available: l.available.toString(),
          frozen: l.frozen.toString(),
          pending: l.pending.toString(),
          total: (l.available + l.frozen + l.pending).toString(),
        },
        lastReconciliation: run === undefined ? null : runJson(run),
        halted: haltJson(haltOf.get(asset)),
      };
    });
    const lines = [
      'asset   owed (available + frozen + pending)        hot / fee / deposit / in flight / cold (last pass)        difference   last pass                 signing',
    ];
    for (const r of rows) {
      const run = r.lastReconciliation;
      lines.push(
        [
          r.asset.padEnd(7),
          `${r.liabilities.total} (${r.liabilities.available} + ${r.liabilities.frozen} + ${r.liabilities.pending})`.padEnd(42),
          (run ? `${run.hot} / ${run.fee} / ${run.deposit} / ${run.inFlight} / ${run.cold}` : '-').padEnd(57),
          (run ? `${run.difference}${run.short ? ' SHORT' : ''}` : '-').padEnd(12),
          (run?.at ?? 'never').padEnd(25),
          r.halted ? `HALTED by ${r.halted.by} (short ${r.halted.shortfall} since ${r.halted.since})` : 'ok',
        ].join(' '),
      );
    }
    print(rows, lines);
    return rows.some((r) => r.halted !== null) ? 1 : 0;
  }
  if (action === 'history') {
    const asset = required(o.asset, '--asset');
    const limit = o.limit === undefined ? 20 : Number(o.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new WalletError('VALIDATION_FAILED', '--limit must be 1..1000');
    const runs = await reconciliationHistory(db, asset, limit);
    print(runs.map(runJson), [
      `${asset}: reconciliation passes, newest first`,
      'at                        trigger     liabilities / hot / fee / deposit / in flight / cold        difference (tolerance)   halted',
      ...runs.map(
        (r) =>
          `${r.at.toISOString().padEnd(25)} ${r.trigger.padEnd(11)} ${`${r.liabilities} / ${r.hot} / ${r.fee} / ${r.deposit} / ${r.inFlight} / ${r.cold}`.padEnd(60)} ${`${r.difference} (${r.tolerance})${r.short ? ' SHORT' : ''}`.padEnd(24)} ${r.halted ? 'yes' : 'no'}`,
      ),
    ]);
    return 0;
  }
  if (action === 'release') {
    const asset = required(o.asset, '--asset');
    const halt = await releaseAsset(db, audit, { id: o.actor, role: 'admin' }, asset, required(o.reason, '--reason'));
    print(haltJson(halt) ?? { asset, halted: false, releasedBy: halt.releasedBy }, [
      `signing of ${asset} released by ${halt.releasedBy}; the next reconciliation pass halts it again if it is still short`,
    ]);
    return 0;
  }
  io.err(`unknown command: treasury ${action}`);
  return 2;
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new WalletError('VALIDATION_FAILED', `${name} is required`);
  return value;
}
