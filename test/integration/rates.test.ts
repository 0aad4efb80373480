import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { waitFor } from '../harness/waitFor.js';

// Fiat rates through the whole cluster (issue 17): two loopback servers speaking the two provider formats
// (CoinGecko's simple price, Coinbase's exchange rates), configured on the transrv nodes in that order; the gateway
// serves what they stored at GET /v1/rates?fiat=. The primary goes down, then both.

type FiatRate = { asset: string; fiat: string; rate: string; provider: string; updatedAt: string; ageSeconds: number; stale: boolean };

/** A price server in one of the two formats; `down` answers 503 to everything. */
class PriceServer {
  down = false;
  requests = 0;
  readonly #server: Server;
  constructor(
    readonly format: 'simple-price' | 'exchange-rates',
    readonly prices: Record<string, Record<string, string>>,
  ) {
    this.#server = createServer((req, res) => {
      this.requests++;
      if (this.down) return void res.writeHead(503).end('{"error":"maintenance"}');
      const url = new URL(req.url!, 'http://x');
      const json = (body: unknown) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (format === 'simple-price' && url.pathname === '/api/v3/simple/price') {
        const fiats = url.searchParams.get('vs_currencies')!.split(',');
        const ids = url.searchParams.get('ids')!.split(',');
        return json(
          Object.fromEntries(
            ids.filter((id) => this.prices[id]).map((id) => [id, Object.fromEntries(fiats.map((f) => [f, Number(this.prices[id]![f])]))]),
          ),
        );
      }
      if (format === 'exchange-rates' && url.pathname === '/v2/exchange-rates') {
        const currency = url.searchParams.get('currency')!;
        if (!this.prices[currency]) return void res.writeHead(400).end('{"errors":[{"id":"invalid_request"}]}');
        return json({ data: { currency, rates: this.prices[currency] } });
      }
      res.writeHead(404).end();
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

const primary = new PriceServer('simple-price', { ethereum: { usd: '3012.5', cny: '21800.25' } });
const secondary = new PriceServer('exchange-rates', { ETH: { USD: '2999.99', CNY: '21750', EUR: '2800' } });
let cluster: Cluster;
let api: ApiClient;

beforeAll(async () => {
  const providers = [
    { kind: 'simple-price', name: 'gecko', url: `${await primary.start()}/api/v3`, ids: { ETH: 'ethereum' } },
    { kind: 'exchange-rates', name: 'coinbase', url: await secondary.start() },
  ];
  cluster = await Cluster.start({
    transrvNodes: ['t1', 't2'],
    extraEnv: {
      TRANSRV_FIAT_PROVIDERS: JSON.stringify(providers),
      TRANSRV_FIAT_CURRENCIES: 'USD,CNY',
      TRANSRV_FIAT_RATES_MS: '10000',
    },
  });
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Price Watcher'));
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await primary.close();
  await secondary.close();
});

const rates = async (fiat: string): Promise<FiatRate[]> => {
  const res = await api.get<{ fiat: string; data: FiatRate[] }>(`/v1/rates?fiat=${fiat}`);
  expect(res.status).toBe(200);
  expect(res.body.fiat).toBe(fiat);
  return res.body.data;
};
const eth = async (fiat: string): Promise<FiatRate | undefined> => (await rates(fiat)).find((r) => r.asset === 'ETH');

describe('GET /v1/rates', () => {
  it('serves the primary provider, fails over to the second, and keeps the last price with its age when both fail', async () => {
    const first = await waitFor('ETH priced', () => eth('USD'));
    expect(first).toMatchObject({ asset: 'ETH', fiat: 'USD', rate: '3012.5', provider: 'gecko', stale: false });
    expect(first.ageSeconds).toBeLessThan(30);
    expect(await eth('CNY')).toMatchObject({ rate: '21800.25', provider: 'gecko' });
    // A currency not configured is not fetched: an empty list, not an error.
    expect(await rates('EUR')).toEqual([]);
    // Assets no provider knows (the cluster's others) are absent rather than zero.
    for (const r of await rates('USD')) expect(r.asset).toBe('ETH');

    // The primary goes down: the next refresh takes the second provider's prices.
    primary.down = true;
    const failedOver = await waitFor(
      'priced by coinbase',
      async () => {
        const r = await eth('USD');
        return r?.provider === 'coinbase' ? r : undefined;
      },
      60_000,
    );
    expect(failedOver).toMatchObject({ rate: '2999.99', stale: false });
    expect(await eth('CNY')).toMatchObject({ rate: '21750', provider: 'coinbase' });

    // Both down: the last price stays, and its age grows past a refresh interval that brought nothing. Each node
    // refreshes when due, so the other node may have stored coinbase's price again just before this: the price kept
    // is the last one stored before both went down, read once refreshes have failed on both providers.
    secondary.down = true;
    const requestsBefore = primary.requests + secondary.requests;
    await waitFor('both asked again', async () => (primary.requests + secondary.requests > requestsBefore + 1 ? true : undefined), 60_000);
    const lastGood = (await eth('USD'))!;
    expect(lastGood).toMatchObject({ rate: '2999.99', provider: 'coinbase' });
    const kept = await waitFor(
      'older than one interval',
      async () => {
        const r = await eth('USD');
        return r && r.ageSeconds >= 10 ? r : undefined;
      },
      60_000,
    );
    expect(kept).toMatchObject({ rate: '2999.99', provider: 'coinbase' });
    expect(kept.updatedAt).toBe(lastGood.updatedAt);
    expect(Date.parse(kept.updatedAt)).toBeGreaterThanOrEqual(Date.parse(failedOver.updatedAt));

    // Back up: fresh prices from the primary again.
    primary.down = false;
    secondary.down = false;
    await waitFor('gecko again', async () => ((await eth('USD'))?.provider === 'gecko' ? true : undefined), 60_000);
  }, 240_000);

  it('refuses a fiat that is not an upper-case ISO 4217 code, and is signed like every route', async () => {
    for (const fiat of ['usd', 'USDX', 'US', '', 'U%24D']) {
      const res = await api.get<{ error: { code: string } }>(`/v1/rates?fiat=${fiat}`);
      expect(res.status, fiat).toBe(400);
      expect(res.body.error.code, fiat).toBe('VALIDATION_FAILED');
    }
    expect((await api.get<{ error: { code: string } }>('/v1/rates')).status).toBe(400);
    expect((await api.get<{ error: { code: string } }>('/v1/rates?fiat=USD&extra=1')).status).toBe(400);
    expect((await fetch(`${cluster.gatewayUrl}/v1/rates?fiat=USD`)).status).toBe(401);
  });
});
