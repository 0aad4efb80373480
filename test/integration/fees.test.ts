import { devRegistryInput } from '@wallet/assets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { Litecoind, ltcRpcUrl } from '../harness/litecoind.js';
import { waitFor } from '../harness/waitFor.js';

// Network fee rates through the whole cluster (issue 17): sampled by the transrv nodes from the stack's anvil and
// litecoind, served by the gateway at GET /v1/fees.

type FeeRate = {
  chain: string;
  unit: string;
  rate: string;
  baseFee: string | null;
  priorityFee: string | null;
  confTarget: number | null;
  source: string | null;
  collectedAt: string;
  ageSeconds: number;
};

let cluster: Cluster;
let api: ApiClient;
let fixtures: LedgerFixtures;

beforeAll(async () => {
  // ETH's withdrawal fee follows the network's (100,000 gas at the sampled rate, +50 %); LTC's stays fixed.
  const assets = {
    ...devRegistryInput,
    assets: devRegistryInput.assets.map((a) => (a.id === 'ETH' ? { ...a, feeFromRates: { units: 100_000, markupPercent: 50 } } : a)),
  };
  cluster = await Cluster.start({
    assets,
    chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl },
    extraEnv: { TRANSRV_FEE_RATES_MS: '2000' },
  });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Fee Watcher'));
}, 180_000);

afterAll(async () => {
  await fixtures?.close();
  await cluster?.stop();
});

const fees = async (): Promise<FeeRate[]> => {
  const res = await api.get<{ data: FeeRate[] }>('/v1/fees');
  expect(res.status).toBe(200);
  return res.body.data;
};

describe('GET /v1/fees', () => {
  it("serves each chain's fee rate sampled from its node, EIP-1559 and sat/vB, and samples again after the interval", async () => {
    const first = await waitFor('both chains sampled', async () => {
      const data = await fees();
      return data.length === 2 ? data : undefined;
    });
    const [eth, ltc] = first;
    expect(eth).toMatchObject({ chain: 'eth', unit: 'wei/gas', confTarget: null, source: null });
    expect(BigInt(eth!.rate)).toBe(2n * BigInt(eth!.baseFee!) + BigInt(eth!.priorityFee!));
    expect(ltc).toMatchObject({ chain: 'ltc', unit: 'sat/vB', baseFee: null, priorityFee: null, confTarget: 6 });
    expect(['node', 'fallback']).toContain(ltc!.source);
    expect(BigInt(ltc!.rate)).toBeGreaterThan(0n);
    for (const r of first) expect(r.ageSeconds).toBeLessThan(60);

    // Two nodes, one interval: about one sample per chain per interval, and a newer one after it.
    const later = await waitFor('a newer eth sample', async () => {
      const data = await fees();
      return data[0]!.collectedAt > eth!.collectedAt ? data : undefined;
    });
    expect(later.map((r) => r.chain)).toEqual(['eth', 'ltc']);
    const samples = await fixtures.db('fee_rates').where({ chain: 'eth' }).orderBy('id').select<{ collected_at: Date }[]>('collected_at');
    const span = samples.at(-1)!.collected_at.getTime() - samples[0]!.collected_at.getTime();
    expect(samples.length).toBeLessThanOrEqual(Math.floor(span / 1800) + 2);
  });

  it("charges an ETH withdrawal the fee its sampled rate gives (with the markup, never below the floor); LTC's stays fixed", async () => {
    const assets = (await api.get<{ data: { asset: string; withdrawalFee: string; feeFromRates?: unknown }[] }>('/v1/assets')).body.data;
    expect(assets.find((a) => a.asset === 'ETH')).toMatchObject({
      withdrawalFee: '100000000000000',
      feeFromRates: { units: 100_000, markupPercent: 50 },
    });
    expect(assets.find((a) => a.asset === 'LTC')).not.toHaveProperty('feeFromRates');
    const account = (await api.post<{ id: string }>('/v1/accounts', { externalId: 'fee-payer' })).body.id;
    await fixtures.fund(account, 'ETH', 10n ** 18n);
    await fixtures.fund(account, 'LTC', 10n ** 8n, 'ltc');
    await waitFor('an eth sample', async () => ((await fees()).some((r) => r.chain === 'eth') ? true : undefined));
    const res = await api.post<{ fee: string; status: string }>(`/v1/accounts/${account}/withdrawals`, {
      asset: 'ETH',
      to: '0x3535353535353535353535353535353535353535',
      amount: '1000000000000000',
    });
    expect(res.status).toBe(201);
    // Samples keep coming every 2 s: the fee is the formula applied to one of those taken around the request.
    const samples = await fixtures.db('fee_rates').where({ chain: 'eth' }).pluck<string[]>('rate');
    const candidates = samples.map((rate) => {
      const fee = (BigInt(rate) * 100_000n * 150n + 99n) / 100n;
      return (fee > 100_000_000_000_000n ? fee : 100_000_000_000_000n).toString();
    });
    expect(candidates).toContain(res.body.fee);
    const ltc = await api.post<{ fee: string }>(`/v1/accounts/${account}/withdrawals`, {
      asset: 'LTC',
      to: await new Litecoind().call<string>('getnewaddress', [], true),
      amount: '1000000',
    });
    expect([ltc.status, ltc.body.fee]).toEqual([201, '10000']);
  });

  it('is signed like every route', async () => {
    const res = await fetch(`${cluster.gatewayUrl}/v1/fees`);
    expect(res.status).toBe(401);
  });
});
