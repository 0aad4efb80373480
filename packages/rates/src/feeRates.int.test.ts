import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { type EvmAdapter, createEvmAdapter } from '@wallet/chains';
import { type Db } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeeRateCollector, latestFeeRates } from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// The collector against the local stack's anvil (a real node) and a node that is down (a closed port).

const ethRpcUrl = process.env['ETH_RPC_URL'] ?? 'http://127.0.0.1:8545';
const eth: ChainSpec = { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: 31337, nativeAsset: 'ETH' };
const ETH: AssetSpec = { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 1, minWithdrawal: 1n, withdrawalFee: 1n };
const log = createLogger('rates-test', { level: 'silent' });

let db: Db;
let drop: () => Promise<void>;
let adapter: EvmAdapter;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  adapter = await createEvmAdapter({ chain: eth, assets: [ETH], rpcUrl: ethRpcUrl });
});
afterAll(async () => {
  await adapter?.close();
  await drop?.();
});

describe('FeeRateCollector', () => {
  it('samples each chain from its node once per interval across nodes; a node that is down is skipped, the others sampled', async () => {
    const down = { chain: 'eth2', feeEstimate: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')) };
    const a = new FeeRateCollector({
      db,
      nodeId: 'n1',
      log,
      intervalMs: 60_000,
      sources: [down, { chain: 'eth', feeEstimate: () => adapter.feeEstimate() }],
    });
    const b = new FeeRateCollector({
      db,
      nodeId: 'n2',
      log,
      intervalMs: 60_000,
      sources: [{ chain: 'eth', feeEstimate: () => adapter.feeEstimate() }],
    });
    expect(await a.collect()).toEqual(['eth']);
    // Within the interval: neither node samples again.
    expect(await b.collect()).toEqual([]);
    expect(await a.collect()).toEqual([]);
    const [rate, ...rest] = await latestFeeRates(db);
    expect(rest).toEqual([]);
    const estimate = await adapter.feeEstimate();
    expect(rate).toMatchObject({ chain: 'eth', model: 'eip1559', unit: 'wei/gas', confTarget: null, source: null });
    expect(BigInt(rate!.rate)).toBe(2n * BigInt(rate!.baseFee!) + BigInt(rate!.priorityFee!));
    // The same order of magnitude as the node's own answer now (anvil's base fee moves a little per block).
    expect(BigInt(rate!.priorityFee!)).toBe(estimate.maxPriorityFeePerGas);
    expect(Date.now() - rate!.collectedAt.getTime()).toBeLessThan(60_000);
  });

  it('serves the latest sample of each chain; a sample older than the interval is taken again', async () => {
    await db('fee_rates').insert([
      {
        chain: 'ltc',
        model: 'feerate',
        rate: '7',
        conf_target: 6,
        source: 'fallback',
        collected_by: 'n9',
        collected_at: new Date(Date.now() - 7_200_000),
      },
      {
        chain: 'ltc',
        model: 'feerate',
        rate: '12',
        conf_target: 6,
        source: 'node',
        collected_by: 'n9',
        collected_at: new Date(Date.now() - 3_600_000),
      },
    ]);
    const rates = await latestFeeRates(db);
    expect(rates.map((r) => r.chain)).toEqual(['eth', 'ltc']);
    expect(rates[1]).toMatchObject({
      chain: 'ltc',
      unit: 'sat/vB',
      rate: '12',
      baseFee: null,
      priorityFee: null,
      confTarget: 6,
      source: 'node',
    });
    const c = new FeeRateCollector({
      db,
      nodeId: 'n3',
      log,
      intervalMs: 1000,
      sources: [{ chain: 'eth', feeEstimate: () => adapter.feeEstimate() }],
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await c.collect()).toEqual(['eth']);
    const [{ n }] = (await db('fee_rates').where({ chain: 'eth' }).count({ n: '*' })) as [{ n: number | string }];
    expect(Number(n)).toBe(2);
  });
});
