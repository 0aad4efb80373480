import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { ltcRpcUrl } from '../harness/litecoind.js';
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
  cluster = await Cluster.start({ chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl }, extraEnv: { TRANSRV_FEE_RATES_MS: '2000' } });
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

  it('is signed like every route', async () => {
    const res = await fetch(`${cluster.gatewayUrl}/v1/fees`);
    expect(res.status).toBe(401);
  });
});
