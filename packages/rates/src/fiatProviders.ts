import { z } from 'zod';

/** Prices of one unit of each asset in each fiat currency: asset id -> fiat code -> decimal string. */
export type Prices = Map<string, Map<string, string>>;

/** A source of fiat prices. It answers what it could get; an asset or currency it does not know is left out. */
export interface FiatProvider {
  readonly name: string;
  /** @throws when the provider cannot be reached or answers with something that is not prices */
  prices(assets: readonly string[], fiats: readonly string[]): Promise<Prices>;
}

/** The largest price accepted (a unit worth more than 10^15 of a fiat is a provider's error). */
const MAX_PRICE = 1e15;

/**
 * A provider's number as a decimal string with at most 12 decimals: a positive finite JSON number or a plain decimal
 * string. @returns undefined for anything else (zero, negative, NaN, exponents, words), which is then left out
 */
export function toDecimal(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0 || value > MAX_PRICE) return undefined;
    text = value.toFixed(12);
  } else if (typeof value === 'string' && /^[0-9]{1,16}(\.[0-9]{1,40})?$/.test(value)) {
    const [whole, fraction = ''] = value.split('.') as [string, string?];
    text = `${whole}.${fraction.slice(0, 12).padEnd(12, '0')}`;
    if (Number(text) <= 0 || Number(text) > MAX_PRICE) return undefined;
  } else {
    return undefined;
  }
  const trimmed = text.replace(/\.?0+$/, '').replace(/^0+(?=\d)/, '');
  return /^0(\.0*)?$/.test(trimmed) ? undefined : trimmed;
}

/** GETs JSON with a timeout and a size limit. @throws on a network error, a non-2xx answer, or a body that is not JSON */
async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'error' });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${new URL(url).host}`);
  if (text.length > 1_000_000) throw new Error('answer too large');
  return JSON.parse(text) as unknown;
}

const Simple = z.record(z.string(), z.record(z.string(), z.unknown()));

/**
 * The "simple price" format (CoinGecko's): `GET <url>/simple/price?ids=<ids>&vs_currencies=<fiats>` answers
 * `{"<id>": {"<fiat lower-case>": <number>}}`. Its coin ids are configured per asset (ETH: `ethereum`).
 */
export function simplePriceProvider(options: {
  readonly name?: string;
  readonly url: string;
  readonly ids: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}): FiatProvider {
  return {
    name: options.name ?? 'simple-price',
    async prices(assets, fiats) {
      const wanted = assets.filter((a) => options.ids[a] !== undefined);
      const out: Prices = new Map();
      if (wanted.length === 0) return out;
      const query = new URLSearchParams({
        ids: wanted.map((a) => options.ids[a]!).join(','),
        vs_currencies: fiats.map((f) => f.toLowerCase()).join(','),
      });
      const body = Simple.parse(
        await getJson(`${options.url.replace(/\/$/, '')}/simple/price?${query.toString()}`, options.timeoutMs ?? 5000),
      );
      for (const asset of wanted) {
        const quotes = body[options.ids[asset]!];
        if (!quotes) continue;
        const row = new Map<string, string>();
        for (const fiat of fiats) {
          const price = toDecimal(quotes[fiat.toLowerCase()]);
          if (price !== undefined) row.set(fiat, price);
        }
        if (row.size > 0) out.set(asset, row);
      }
      return out;
    },
  };
}

const ExchangeRates = z.object({ data: z.object({ currency: z.string(), rates: z.record(z.string(), z.unknown()) }) });

/**
 * The "exchange rates" format (Coinbase's): `GET <url>/v2/exchange-rates?currency=<ASSET>` answers
 * `{"data": {"currency": "<ASSET>", "rates": {"<FIAT>": "<decimal string>"}}}`, one request per asset. An asset the
 * provider does not know (an error answer, or another currency in the answer) is left out.
 */
export function exchangeRatesProvider(options: {
  readonly name?: string;
  readonly url: string;
  readonly timeoutMs?: number;
}): FiatProvider {
  return {
    name: options.name ?? 'exchange-rates',
    async prices(assets, fiats) {
      const out: Prices = new Map();
      let failures = 0;
      let lastError: unknown;
      for (const asset of assets) {
        let body: z.infer<typeof ExchangeRates>;
        try {
          const url = `${options.url.replace(/\/$/, '')}/v2/exchange-rates?${new URLSearchParams({ currency: asset }).toString()}`;
          body = ExchangeRates.parse(await getJson(url, options.timeoutMs ?? 5000));
        } catch (error) {
          failures++;
          lastError = error;
          continue;
        }
        if (body.data.currency.toUpperCase() !== asset.toUpperCase()) continue;
        const row = new Map<string, string>();
        for (const fiat of fiats) {
          const price = toDecimal(body.data.rates[fiat]);
          if (price !== undefined) row.set(fiat, price);
        }
        if (row.size > 0) out.set(asset, row);
      }
      // Nothing answered at all: the provider is down, not merely ignorant of some assets.
      if (assets.length > 0 && failures === assets.length) throw lastError instanceof Error ? lastError : new Error(String(lastError));
      return out;
    },
  };
}

/** A provider as configured (`TRANSRV_FIAT_PROVIDERS`, a JSON array, tried in order). */
export const FiatProviderConfig = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('simple-price'),
      name: z.string().min(1).max(32).optional(),
      url: z.url({ protocol: /^https?$/ }),
      ids: z.record(z.string().min(1).max(16), z.string().min(1).max(64)),
    })
    .strict(),
  z
    .object({ kind: z.literal('exchange-rates'), name: z.string().min(1).max(32).optional(), url: z.url({ protocol: /^https?$/ }) })
    .strict(),
]);
export type FiatProviderConfig = z.infer<typeof FiatProviderConfig>;

export function createFiatProvider(config: FiatProviderConfig): FiatProvider {
  return config.kind === 'simple-price'
    ? simplePriceProvider({ url: config.url, ids: config.ids, ...(config.name ? { name: config.name } : {}) })
    : exchangeRatesProvider({ url: config.url, ...(config.name ? { name: config.name } : {}) });
}
