import type { AssetRegistry } from '@wallet/assets';
import type { Knex } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { formatUnits } from './assetUnits.js';
import { formatAge } from './layout.js';

/** The last known prices in one fiat currency (transrv refreshes `fiat_rates`; the console only reads them). */
export type FiatPrices = {
  readonly fiat: string;
  readonly byAsset: ReadonlyMap<string, { readonly rate: string; readonly fetchedAt: Date }>;
};

/** A price older than this is shown with its age. */
const OLD_PRICE_MS = 3600_000;
/** Fiat prices are stored with 12 decimals at most. */
const RATE_SCALE = 10n ** 12n;

/**
 * Reads the prices in `fiat`. Prices are for display: when they cannot be read (no provider configured, the table
 * not reachable) the pages show amounts without them, and the failure is logged.
 */
export async function loadFiatPrices(db: Knex, fiat: string, log: Logger): Promise<FiatPrices> {
  try {
    const rows = await db('fiat_rates')
      .where({ fiat })
      .select<{ asset: string; rate: string; fetched_at: Date }[]>('asset', 'rate', 'fetched_at');
    return { fiat, byAsset: new Map(rows.map((r) => [r.asset, { rate: String(r.rate), fetchedAt: r.fetched_at }])) };
  } catch (error) {
    log.warn({ err: error, fiat }, 'fiat prices could not be read; amounts are shown without them');
    return { fiat, byAsset: new Map() };
  }
}

/**
 * What `amount` base units of an asset with `decimals` are worth at `rate` (a decimal string, the price of one unit),
 * in hundredths of the fiat unit, rounded half up. Exact: bigint arithmetic, never floats.
 */
export function fiatCents(amount: bigint, decimals: number, rate: string): bigint {
  const [whole, fraction = ''] = rate.split('.') as [string, string?];
  const scaledRate = BigInt(whole) * RATE_SCALE + BigInt(fraction.slice(0, 12).padEnd(12, '0') || '0');
  const numerator = amount * scaledRate * 100n;
  const denominator = 10n ** BigInt(decimals) * RATE_SCALE;
  return (numerator + denominator / 2n) / denominator;
}

/** `≈ 400.00 USD` for an amount of a priced asset (with the price's age when it is over an hour); '' when unpriced. */
export function fiatText(registry: AssetRegistry, prices: FiatPrices, asset: string, amount: bigint, now = Date.now()): string {
  const spec = registry.assets.get(asset);
  const price = prices.byAsset.get(asset);
  if (!spec || !price || !/^[0-9]+(\.[0-9]+)?$/.test(price.rate)) return '';
  const cents = fiatCents(amount, spec.decimals, price.rate);
  const [units, hundredths = '00'] = formatUnits(cents, 2).split('.') as [string, string?];
  const age = now - price.fetchedAt.getTime() > OLD_PRICE_MS ? ` (price ${formatAge(price.fetchedAt, now)} old)` : '';
  return `≈ ${units}.${hundredths.padEnd(2, '0')} ${prices.fiat}${age}`;
}
