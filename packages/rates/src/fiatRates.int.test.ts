import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Db } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FiatRateRefresher, exchangeRatesProvider, listFiatRates, simplePriceProvider, toDecimal } from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// Fiat rates from two loopback HTTP servers speaking the two provider formats, failing in turn.

const log = createLogger('fiat-test', { level: 'silent' });
let db: Db;
let drop: () => Promise<void>;

type Mode = { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'body'; body: string } | { kind: 'hang' };

/** A provider server: `prices` in the format of `format`, or the failure `mode` says. */
class ProviderServer {
  mode: Mode = { kind: 'ok' };
  readonly requests: string[] = [];
  readonly #server: Server;
  constructor(
    readonly format: 'simple-price' | 'exchange-rates',
    public prices: Record<string, Record<string, number | string>>,
  ) {
    this.#server = createServer((req, res) => {
      this.requests.push(req.url!);
      const m = this.mode;
      if (m.kind === 'hang') return undefined;
      if (m.kind === 'status') return res.writeHead(m.status).end('{"error":"down"}');
      if (m.kind === 'body') return res.writeHead(200, { 'content-type': 'application/json' }).end(m.body);
      const url = new URL(req.url!, 'http://x');
      if (format === 'simple-price' && url.pathname === '/simple/price') {
        const ids = url.searchParams.get('ids')!.split(',');
        const fiats = url.searchParams.get('vs_currencies')!.split(',');
        const body = Object.fromEntries(
          ids.filter((id) => this.prices[id]).map((id) => [id, Object.fromEntries(fiats.map((f) => [f, this.prices[id]![f]]))]),
        );
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
      if (format === 'exchange-rates' && url.pathname === '/v2/exchange-rates') {
        const currency = url.searchParams.get('currency')!;
        if (!this.prices[currency]) return res.writeHead(400).end('{"errors":[{"id":"invalid_request"}]}');
        return res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ data: { currency, rates: this.prices[currency] } }));
      }
      res.writeHead(404).end();
      return undefined;
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

const gecko = new ProviderServer('simple-price', { ethereum: { usd: 3012.5, cny: 21800.25 }, litecoin: { usd: 71.2, cny: 515 } });
const coinbase = new ProviderServer('exchange-rates', { ETH: { USD: '3010.10', CNY: '21790.5' }, LTC: { USD: '71.05', CNY: '514.4' } });
let refresher: FiatRateRefresher;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  const geckoUrl = await gecko.start();
  const coinbaseUrl = await coinbase.start();
  refresher = new FiatRateRefresher({
    db,
    log,
    assets: ['ETH', 'LTC'],
    fiats: ['USD', 'CNY'],
    providers: [
      simplePriceProvider({ name: 'gecko', url: geckoUrl, ids: { ETH: 'ethereum', LTC: 'litecoin' }, timeoutMs: 500 }),
      exchangeRatesProvider({ name: 'coinbase', url: coinbaseUrl, timeoutMs: 500 }),
    ],
  });
});
afterAll(async () => {
  await gecko.close();
  await coinbase.close();
  await drop?.();
});

const usd = async () => Object.fromEntries((await listFiatRates(db, 'USD')).map((r) => [r.asset, `${r.rate} ${r.provider}`]));

describe('fiat rates', () => {
  it('takes the first provider; fails over to the next when it is down, slow or talks nonsense; keeps the last values when all fail', async () => {
    expect(await refresher.refresh(true)).toEqual({ byProvider: { gecko: 4 }, missing: [] });
    expect(await usd()).toEqual({ ETH: '3012.5 gecko', LTC: '71.2 gecko' });
    expect((await listFiatRates(db, 'CNY')).map((r) => r.rate)).toEqual(['21800.25', '515']);

    for (const mode of [
      { kind: 'status', status: 503 },
      { kind: 'hang' },
      { kind: 'body', body: 'not json' },
      { kind: 'body', body: '["an", "array"]' },
    ] as Mode[]) {
      gecko.mode = mode;
      expect(await refresher.refresh(true), JSON.stringify(mode)).toEqual({ byProvider: { coinbase: 4 }, missing: [] });
      expect(await usd()).toEqual({ ETH: '3010.1 coinbase', LTC: '71.05 coinbase' });
      coinbase.prices['ETH']!['USD'] = '3010.10';
    }

    // Both down: nothing written; the last values stay, with their age.
    const before = await listFiatRates(db, 'USD');
    coinbase.mode = { kind: 'status', status: 500 };
    expect(await refresher.refresh(true)).toEqual({ byProvider: {}, missing: ['ETH/USD', 'ETH/CNY', 'LTC/USD', 'LTC/CNY'] });
    expect(await listFiatRates(db, 'USD')).toEqual(before);
    gecko.mode = { kind: 'ok' };
    coinbase.mode = { kind: 'ok' };
  });

  it('fills from the next provider only what the first did not give; refuses zero, negative and non-numeric prices', async () => {
    gecko.prices = { ethereum: { usd: 3100, cny: -1 }, litecoin: { usd: 0, cny: 'a lot' } };
    expect(await refresher.refresh(true)).toEqual({ byProvider: { gecko: 1, coinbase: 3 }, missing: [] });
    expect(await usd()).toEqual({ ETH: '3100 gecko', LTC: '71.05 coinbase' });
    expect(toDecimal(1e-7)).toBe('0.0000001');
    expect(toDecimal(1e-13)).toBeUndefined();
    for (const bad of [0, -5, Number.NaN, Infinity, '1e5', '-3', ' 3', '', null, {}, 1e16])
      expect(toDecimal(bad), JSON.stringify(bad)).toBeUndefined();
    expect(toDecimal('0012.500')).toBe('12.5');
  });

  it('a refresh another node made recently is not repeated', async () => {
    const asked = gecko.requests.length;
    expect(await refresher.refresh()).toEqual({ byProvider: {}, missing: [] });
    expect(gecko.requests.length).toBe(asked);
  });
});
