import type { Knex } from '@wallet/db';
import { PeriodicTask } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import type { FiatProvider, Prices } from './fiatProviders.js';

/** An asset's last known price in a fiat currency, as served (`GET /v1/rates`). */
export type FiatRate = {
  readonly asset: string;
  readonly fiat: string;
  /** The price of one unit (one ETH, one LTC), a decimal string. */
  readonly rate: string;
  readonly provider: string;
  readonly fetchedAt: Date;
};

type FiatRateRow = { asset: string; fiat: string; rate: string; provider: string; fetched_at: Date };

/** The last known prices in `fiat`, by asset id. */
export async function listFiatRates(db: Knex, fiat: string): Promise<FiatRate[]> {
  const rows = await db<FiatRateRow>('fiat_rates').where({ fiat }).orderBy('asset');
  return rows.map((r) => ({
    asset: r.asset,
    fiat: r.fiat,
    rate: String(r.rate).replace(/\.?0+$/, ''),
    provider: r.provider,
    fetchedAt: r.fetched_at,
  }));
}

export type FiatRateRefresherOptions = {
  readonly db: Knex;
  readonly log: Logger;
  /** Tried in order: each pair (asset, fiat) comes from the first provider that gives it. */
  readonly providers: readonly FiatProvider[];
  readonly assets: readonly string[];
  readonly fiats: readonly string[];
  /** How often the prices are refreshed (across the cluster). @default 300_000 */
  readonly intervalMs?: number;
};

/**
 * Refreshes `fiat_rates` from the providers, failing over in order: the first provider's prices, then what the next
 * ones give for the pairs still missing. A pair no provider gives keeps its last value (its `fetchedAt` shows its age);
 * a provider that fails (unreachable, an error status, an answer that is not prices) is logged and skipped. Every
 * transrv node runs one; a refresh by any node within the last 0.9 interval makes the others skip theirs.
 */
export class FiatRateRefresher {
  readonly #o: FiatRateRefresherOptions;
  readonly #task: PeriodicTask;

  constructor(options: FiatRateRefresherOptions) {
    this.#o = options;
    const interval = options.intervalMs ?? 300_000;
    this.#task = new PeriodicTask({
      name: 'fiat-rates',
      log: options.log,
      intervalMs: Math.min(interval, 60_000),
      run: () => this.refresh(),
    });
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /**
   * One refresh, when due. @param force refresh even when another node refreshed recently
   * @returns how many pairs each provider gave, and which pairs none gave
   */
  async refresh(force = false): Promise<{ byProvider: Record<string, number>; missing: string[] }> {
    const { db, log, assets, fiats } = this.#o;
    const byProvider: Record<string, number> = {};
    if (!force) {
      const dueAfterUs = Math.floor((this.#o.intervalMs ?? 300_000) * 0.9) * 1000;
      const [[recent]] = (await db.raw(
        'SELECT COUNT(*) AS n FROM fiat_rates WHERE fetched_at > CURRENT_TIMESTAMP(3) - INTERVAL ? MICROSECOND',
        [dueAfterUs],
      )) as [[{ n: number | string }]];
      if (Number(recent.n) >= assets.length * fiats.length && assets.length > 0) return { byProvider, missing: [] };
    }
    const got: Prices = new Map();
    const gotFrom = new Map<string, string>();
    for (const provider of this.#o.providers) {
      const stillMissing = assets.filter((a) => fiats.some((f) => !got.get(a)?.has(f)));
      if (stillMissing.length === 0) break;
      let prices: Prices;
      try {
        prices = await provider.prices(stillMissing, fiats);
      } catch (error) {
        log.warn({ err: error, provider: provider.name }, 'fiat rate provider failed; the next one is asked');
        continue;
      }
      let n = 0;
      for (const [asset, row] of prices) {
        if (!stillMissing.includes(asset)) continue;
        for (const [fiat, price] of row) {
          if (!fiats.includes(fiat) || got.get(asset)?.has(fiat)) continue;
          if (!got.has(asset)) got.set(asset, new Map());
          got.get(asset)!.set(fiat, price);
          gotFrom.set(`${asset}/${fiat}`, provider.name);
          n++;
        }
      }
      byProvider[provider.name] = n;
    }
    const rows = [...got].flatMap(([asset, row]) =>
      [...row].map(([fiat, rate]) => ({
        asset,
        fiat,
        rate,
        provider: gotFrom.get(`${asset}/${fiat}`)!,
        fetched_at: db.raw('CURRENT_TIMESTAMP(3)'),
      })),
    );
    if (rows.length > 0) await db('fiat_rates').insert(rows).onConflict(['asset', 'fiat']).merge(['rate', 'provider', 'fetched_at']);
    const missing = assets.flatMap((a) => fiats.filter((f) => !got.get(a)?.has(f)).map((f) => `${a}/${f}`));
    if (missing.length > 0) log.warn({ missing }, 'no provider gave these fiat rates: their last values stay');
    else log.info({ byProvider }, 'fiat rates refreshed');
    return { byProvider, missing };
  }
}
