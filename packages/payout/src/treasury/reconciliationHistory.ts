import type { Knex } from '@wallet/db';

/** A kept pass of one asset, as `walletctl treasury` and the console show it. */
export type ReconciliationRecord = {
  readonly id: string;
  readonly asset: string;
  readonly chain: string;
  readonly trigger: string;
  readonly liabilities: bigint;
  readonly hot: bigint;
  readonly fee: bigint;
  readonly deposit: bigint;
  readonly inFlight: bigint;
  readonly cold: bigint;
  readonly difference: bigint;
  readonly tolerance: bigint;
  readonly short: boolean;
  readonly halted: boolean;
  /** The block the holdings were read at (null on UTXO chains). */
  readonly block: number | null;
  readonly at: Date;
};

type RunRow = {
  id: number | string;
  asset: string;
  chain: string;
  triggered_by: string;
  liabilities: string;
  hot: string;
  fee: string;
  deposit: string;
  in_flight: string;
  cold: string;
  difference: string;
  tolerance: string;
  short: number;
  halted: number;
  block_number: number | string | null;
  created_at: Date;
};

const columns = [
  'id',
  'asset',
  'chain',
  'triggered_by',
  ...['liabilities', 'hot', 'fee', 'deposit', 'in_flight', 'cold', 'difference', 'tolerance'].map((c) => `CAST(${c} AS CHAR) AS ${c}`),
  'short',
  'halted',
  'block_number',
  'created_at',
];

function toRecord(r: RunRow): ReconciliationRecord {
  return {
    id: String(r.id),
    asset: r.asset,
    chain: r.chain,
    trigger: r.triggered_by,
    liabilities: BigInt(r.liabilities),
    hot: BigInt(r.hot),
    fee: BigInt(r.fee),
    deposit: BigInt(r.deposit),
    inFlight: BigInt(r.in_flight),
    cold: BigInt(r.cold),
    difference: BigInt(r.difference),
    tolerance: BigInt(r.tolerance),
    short: Boolean(r.short),
    halted: Boolean(r.halted),
    block: r.block_number === null ? null : Number(r.block_number),
    at: r.created_at,
  };
}

/** The asset's passes, newest first. @param limit @default 20 */
export async function reconciliationHistory(db: Knex, asset: string, limit = 20): Promise<ReconciliationRecord[]> {
  const rows = await db('reconciliation_runs')
    .where({ asset })
    .orderBy('id', 'desc')
    .limit(limit)
    .select<RunRow[]>(columns.map((c) => db.raw(c)));
  return rows.map(toRecord);
}

/** Each asset's last pass, by asset. */
export async function latestReconciliations(db: Knex): Promise<Map<string, ReconciliationRecord>> {
  const rows = await db('reconciliation_runs')
    .whereIn('id', db('reconciliation_runs').max('id').groupBy('asset'))
    .select<RunRow[]>(columns.map((c) => db.raw(c)));
  return new Map(rows.map((r) => [r.asset, toRecord(r)]));
}
