import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type AssetRegistry, assetRegistryEnv } from '@wallet/assets';
import { type EvmAdapter, type UtxoAdapter, createChainAdapter, createEvmAdapter, isUtxoAdapter } from '@wallet/chains';
import { chainRpcEnv, loadEnvConfig } from '@wallet/config';
import { z } from 'zod';
import {
  type AssetHalt,
  type AuditFn,
  type MoveKind,
  type MoveStatus,
  listMoves,
  measureTreasury,
  moveJson,
  requestContractCall,
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
  /** `treasury call`: the chain, the contract (absent: a creation), the calldata or init code, the wei sent, a note. */
  readonly chain?: string | undefined;
  readonly to?: string | undefined;
  readonly data?: string | undefined;
  readonly value?: string | undefined;
  readonly note?: string | undefined;
  /** `treasury moves`: filters. */
  readonly status?: string | undefined;
  readonly kind?: string | undefined;
  /** `treasury call`: the registry (chains) and the approvals a move needs (SIGNSRV_TREASURY_APPROVALS). */
  readonly registry?: AssetRegistry;
  readonly approvals?: number;
  /** `treasury check`: the environment (WALLET_ASSETS, WALLET_CHAIN_RPC, SIGNSRV_RECONCILE_TOLERANCE). */
  readonly environment?: NodeJS.ProcessEnv;
};

type TierRow = {
  asset: string;
  cap: string | null;
  floor: string | null;
  cold_address: string | null;
  last_hot: string | null;
  measured_at: Date | null;
  below_floor_since: Date | null;
};

/**
 * What is on its way into the hot wallet, per asset: EVM sweeps open (planned to broadcast) and UTXO consolidations
 * signed or broadcast (their inputs' value), both the wallet's own movements.
 */
async function sweepsInFlight(db: Knex): Promise<Map<string, { sweeps: number; amount: bigint }>> {
  const out = new Map<string, { sweeps: number; amount: bigint }>();
  const [evm] = (await db.raw(
    `SELECT asset, COUNT(*) AS n, CAST(SUM(amount) AS CHAR) AS amount FROM sweeps
     WHERE status IN ('planned', 'topped_up', 'signed', 'broadcast') GROUP BY asset`,
  )) as [{ asset: string; n: number | string; amount: string }[]];
  for (const r of evm) out.set(r.asset, { sweeps: Number(r.n), amount: BigInt(r.amount) });
  const [utxo] = (await db.raw(
    `SELECT chain, COUNT(*) AS n, CAST(SUM(input_total - fee) AS CHAR) AS amount FROM utxo_builds
     WHERE kind = 'consolidation' AND status IN ('signed', 'broadcast') GROUP BY chain`,
  )) as [{ chain: string; n: number | string; amount: string }[]];
  for (const r of utxo) out.set(`chain:${r.chain}`, { sweeps: Number(r.n), amount: BigInt(r.amount) });
  return out;
}

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
    const [owed, last, halts, tiers, moving] = await Promise.all([
      liabilitiesByAsset(db),
      latestReconciliations(db),
      assetHalts(db),
      db<TierRow>('treasury_tiers').select('*'),
      sweepsInFlight(db),
    ]);
    const haltOf = new Map(halts.map((h) => [h.asset, h]));
    const tierOf = new Map(tiers.map((t) => [t.asset, t]));
    const assets = [
      ...new Set([...owed.keys(), ...last.keys(), ...tiers.map((t) => t.asset), ...halts.filter((h) => h.halted).map((h) => h.asset)]),
    ].sort();
    const rows = assets.map((asset) => {
      const l = owed.get(asset) ?? { available: 0n, frozen: 0n, pending: 0n };
      const run = last.get(asset);
      const tier = tierOf.get(asset);
      // EVM: the asset's sweeps; UTXO: the chain's consolidations (its one asset).
      const sweeping = moving.get(asset) ?? (run ? moving.get(`chain:${run.chain}`) : undefined);
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
        sweeping: { open: sweeping?.sweeps ?? 0, amount: (sweeping?.amount ?? 0n).toString() },
        tiers:
          tier === undefined
            ? null
            : {
                cap: tier.cap,
                floor: tier.floor,
                cold: tier.cold_address,
                hot: tier.last_hot,
                measuredAt: tier.measured_at?.toISOString() ?? null,
                belowFloorSince: tier.below_floor_since?.toISOString() ?? null,
              },
      };
    });
    const lines = [
      'asset   owed (available + frozen + pending)        hot / fee / deposit / in flight / cold (last pass)        difference   last pass                 signing   sweeping (open: amount)   tiers (cap / floor / hot now)',
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
          (r.halted ? `HALTED by ${r.halted.by} (short ${r.halted.shortfall} since ${r.halted.since})` : 'ok').padEnd(9),
          `${r.sweeping.open}: ${r.sweeping.amount}`.padEnd(25),
          r.tiers
            ? `${r.tiers.cap ?? '-'} / ${r.tiers.floor ?? '-'} / ${r.tiers.hot ?? '-'}${r.tiers.belowFloorSince ? ` BELOW FLOOR since ${r.tiers.belowFloorSince}` : ''}`
            : '-',
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
  if (action === 'check') return check(db, o, io);
  if (action === 'moves') {
    const moves = await listMoves(db, {
      ...(o.status === undefined ? {} : { status: o.status as MoveStatus | 'open' }),
      ...(o.kind === undefined ? {} : { kind: o.kind as MoveKind }),
      limit: o.limit === undefined ? 50 : Number(o.limit),
    });
    print(moves.map(moveJson), [
      'id                              kind           asset       amount                     status           approvals  txid',
      ...moves.map(
        (m) =>
          `${m.id.padEnd(31)} ${m.kind.padEnd(14)} ${`${m.chain}/${m.asset}`.padEnd(11)} ${m.amount.toString().padEnd(26)} ${m.status.padEnd(16)} ${`${m.decisions.filter((d) => d.decision === 'approved').length}/${m.requiredApprovals}`.padEnd(10)} ${m.txid ?? '-'}${m.contractAddress ? ` contract ${m.contractAddress}` : ''}${m.reason ? ` (${m.reason})` : ''}`,
      ),
    ]);
    return 0;
  }
  if (action === 'call') {
    if (!o.registry) throw new WalletError('CONFIG_INVALID', 'treasury call needs WALLET_ASSETS');
    const move = await requestContractCall(
      db,
      audit,
      o.registry,
      { id: o.actor, role: 'admin' },
      {
        chain: required(o.chain, '--chain'),
        to: o.to ?? null,
        data: required(o.data, '--data'),
        ...(o.value === undefined ? {} : { value: o.value }),
        ...(o.note === undefined ? {} : { note: o.note }),
      },
      o.approvals ?? 2,
    );
    print(moveJson(move), [
      `${move.id}: ${move.to === null ? 'contract creation' : `call to ${move.to}`} on ${move.chain} awaits ${move.requiredApprovals} admin approvals (console: Treasury)`,
    ]);
    return 0;
  }
  io.err(`unknown command: treasury ${action}`);
  return 2;
}

const checkEnv = z.object({
  WALLET_ASSETS: assetRegistryEnv,
  WALLET_CHAIN_RPC: chainRpcEnv,
  SIGNSRV_RECONCILE_TOLERANCE: z
    .string()
    .default('{}')
    .transform((text) => new Map(Object.entries(JSON.parse(text) as Record<string, string>).map(([k, v]) => [k, BigInt(v)]))),
});

/**
 * `walletctl treasury check [--asset X] [--json]`: measures the books against the chain now, as a reconciliation pass
 * does (one MySQL snapshot, EVM balances at the scanner's block, UTXO from the scanner's outputs), read-only: nothing
 * is recorded or halted (that is signsrv's). Tolerances from SIGNSRV_RECONCILE_TOLERANCE when set.
 * @returns 0 when no asset is short beyond its tolerance, 1 otherwise
 */
async function check(db: Knex, o: TreasuryOptions, io: Io): Promise<number> {
  const env = loadEnvConfig(checkEnv, o.environment ?? process.env);
  const evm = new Map<string, EvmAdapter>();
  const utxo = new Map<string, UtxoAdapter>();
  for (const chain of env.WALLET_ASSETS.chains.values()) {
    const rpcUrl = env.WALLET_CHAIN_RPC[chain.id];
    if (!rpcUrl) continue;
    const assets = [...env.WALLET_ASSETS.assets.values()].filter((a) => a.chain === chain.id);
    if (chain.kind === 'evm') {
      evm.set(chain.id, await createEvmAdapter({ chain, assets, rpcUrl }));
      continue;
    }
    const adapter = await createChainAdapter({ chain, assets, rpcUrl });
    if (isUtxoAdapter(adapter)) utxo.set(chain.id, adapter);
    else await adapter.close();
  }
  try {
    const unread: string[] = [];
    const figures = await measureTreasury(
      db,
      env.WALLET_ASSETS,
      evm,
      o.asset === undefined ? undefined : [o.asset],
      (asset) => unread.push(asset),
      new Map([...utxo].map(([id, a]) => [id, (addresses: readonly string[]) => a.addressesBalance(addresses)])),
    );
    const rows = figures.map((f) => {
      const tolerance = env.SIGNSRV_RECONCILE_TOLERANCE.get(f.asset) ?? 0n;
      return {
        asset: f.asset,
        liabilities: f.liabilities.toString(),
        holdings: f.holdings.toString(),
        difference: f.difference.toString(),
        tolerance: tolerance.toString(),
        short: -f.difference > tolerance,
        block: f.block,
      };
    });
    const lines = ['asset   liabilities                holdings                   difference (tolerance)'];
    for (const r of rows)
      lines.push(
        `${r.asset.padEnd(7)} ${r.liabilities.padEnd(26)} ${r.holdings.padEnd(26)} ${r.difference} (${r.tolerance})${r.short ? ' SHORT' : ''}`,
      );
    for (const asset of unread) lines.push(`${asset.padEnd(7)} not measured (its node did not answer)`);
    if (o.json) io.out(JSON.stringify({ assets: rows, unread }, null, 2));
    else lines.forEach((l) => io.out(l));
    return rows.some((r) => r.short) || unread.length > 0 ? 1 : 0;
  } finally {
    for (const adapter of [...evm.values(), ...utxo.values()]) await adapter.close();
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new WalletError('VALIDATION_FAILED', `${name} is required`);
  return value;
}
