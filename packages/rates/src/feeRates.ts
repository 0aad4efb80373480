import type { FeeEstimate } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { PeriodicTask } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';

/** The latest fee rate of a chain, as served (`GET /v1/fees`). Amounts are integers in the unit, as strings. */
export type FeeRate = {
  readonly chain: string;
  readonly model: 'eip1559' | 'feerate';
  /** `wei/gas` (EIP-1559) or `sat/vB` (UTXO). */
  readonly unit: 'wei/gas' | 'sat/vB';
  /** What a transaction should offer now: max fee per gas, or satoshi per vB. */
  readonly rate: string;
  /** EIP-1559: the next block's base fee, and the priority fee (tip); null on UTXO chains. */
  readonly baseFee: string | null;
  readonly priorityFee: string | null;
  /** UTXO: the confirmation target in blocks, and `node` or `fallback`; null on EVM chains. */
  readonly confTarget: number | null;
  readonly source: string | null;
  readonly collectedAt: Date;
};

type FeeRateRow = {
  chain: string;
  model: 'eip1559' | 'feerate';
  rate: string;
  base_fee: string | null;
  priority_fee: string | null;
  conf_target: number | null;
  source: string | null;
  collected_at: Date;
};

/** Each chain's latest sample, by chain id. */
export async function latestFeeRates(db: Knex): Promise<FeeRate[]> {
  const rows = await db('fee_rates as f')
    .join(db('fee_rates').select('chain').max('id as id').groupBy('chain').as('m'), 'm.id', 'f.id')
    .orderBy('f.chain')
    .select<FeeRateRow[]>('f.chain', 'f.model', 'f.rate', 'f.base_fee', 'f.priority_fee', 'f.conf_target', 'f.source', 'f.collected_at');
  return rows.map((r) => ({
    chain: r.chain,
    model: r.model,
    unit: r.model === 'eip1559' ? 'wei/gas' : 'sat/vB',
    rate: String(r.rate),
    baseFee: r.base_fee === null ? null : String(r.base_fee),
    priorityFee: r.priority_fee === null ? null : String(r.priority_fee),
    confTarget: r.conf_target,
    source: r.source,
    collectedAt: r.collected_at,
  }));
}

/** A chain the collector samples: its id and its adapter's fee estimate. */
export type FeeSource = { readonly chain: string; readonly feeEstimate: () => Promise<FeeEstimate> };

export type FeeRateCollectorOptions = {
  readonly db: Knex;
  readonly nodeId: string;
  readonly log: Logger;
  readonly sources: readonly FeeSource[];
  /** How often a chain is sampled (across all nodes). @default 3_600_000 (hourly) */
  readonly intervalMs?: number;
};

/**
 * Samples each chain's fee rate from its node into `fee_rates`. Every transrv node that reads a chain runs one; a
 * chain sampled (by any node) within the last 0.9 interval is skipped, so the cluster samples about once an interval
 * (two nodes racing may both write: two samples, harmless). A node that cannot answer is logged and tried next pass.
 */
export class FeeRateCollector {
  readonly #o: FeeRateCollectorOptions;
  readonly #task: PeriodicTask;

  constructor(options: FeeRateCollectorOptions) {
    this.#o = options;
    // Checked every minute at most, so a node started just after a sample takes over within that when it is due.
    const interval = options.intervalMs ?? 3_600_000;
    this.#task = new PeriodicTask({
      name: 'fee-rates',
      log: options.log,
      intervalMs: Math.min(interval, 60_000),
      run: () => this.collect(),
    });
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** Samples every chain that is due. @returns the chains sampled */
  async collect(): Promise<string[]> {
    const { db, log } = this.#o;
    const dueAfterUs = Math.floor((this.#o.intervalMs ?? 3_600_000) * 0.9) * 1000;
    const sampled: string[] = [];
    for (const source of this.#o.sources) {
      const recent = await db('fee_rates')
        .where('chain', source.chain)
        .andWhereRaw('collected_at > CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND', [dueAfterUs])
        .first<{ id: number } | undefined>('id');
      if (recent) continue;
      let estimate: FeeEstimate;
      try {
        estimate = await source.feeEstimate();
      } catch (error) {
        log.warn({ err: error, chain: source.chain }, 'fee rate not collected: the node did not answer; tried again next pass');
        continue;
      }
      await db('fee_rates').insert(
        estimate.kind === 'eip1559'
          ? {
              chain: source.chain,
              model: 'eip1559',
              rate: estimate.maxFeePerGas.toString(),
              base_fee: estimate.baseFeePerGas.toString(),
              priority_fee: estimate.maxPriorityFeePerGas.toString(),
              collected_by: this.#o.nodeId,
            }
          : {
              chain: source.chain,
              model: 'feerate',
              rate: estimate.satPerVbyte.toString(),
              conf_target: estimate.confTarget,
              source: estimate.source,
              collected_by: this.#o.nodeId,
            },
      );
      sampled.push(source.chain);
      log.info({ chain: source.chain, kind: estimate.kind }, 'fee rate collected');
    }
    return sampled;
  }
}

/**
 * A chain's latest fee rate (`rate`: wei per gas, or satoshi per vB) if it was sampled within `maxAgeMs`; undefined
 * otherwise (never sampled, or the samples stopped: a stale rate must not price anything).
 */
export async function freshFeeRate(db: Knex, chain: string, maxAgeMs: number): Promise<bigint | undefined> {
  const row = await db('fee_rates')
    .where({ chain })
    .andWhere('collected_at', '>', db.raw('CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND', [maxAgeMs * 1000]))
    .orderBy('id', 'desc')
    .first<{ rate: string } | undefined>('rate');
  return row === undefined ? undefined : BigInt(row.rate);
}
