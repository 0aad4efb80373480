import { devRegistryInput } from '@wallet/assets';
import { parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilDeployer, anvilProvider, mined } from '../contracts/deploy.js';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { waitFor } from '../harness/waitFor.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { type AnvilProcess, startAnvil } from '@wallet/testkit';

type Deposit = { txid: string; asset: string; chain: string; status: string; amount: string };

let second: AnvilProcess;
let secondUrl = '';
let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;

beforeAll(async () => {
  // A second EVM chain: its own anvil with another chain id, added to the cluster by configuration only.
  second = await startAnvil({ chainId: 31338 });
  secondUrl = second.rpcUrl;
  const assets = {
    chains: [
      ...devRegistryInput.chains,
      { id: 'devnet', kind: 'evm' as const, network: 'regtest' as const, family: 'eth' as const, evmChainId: 31338, nativeAsset: 'DEV' },
    ],
    assets: [
      ...devRegistryInput.assets,
      { id: 'DEV', chain: 'devnet', decimals: 18, confirmations: 2, minWithdrawal: '1000', withdrawalFee: '100' },
    ],
  };
  cluster = await Cluster.start({ assets, chainRpc: { eth: 'http://127.0.0.1:8545', devnet: secondUrl } });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Two Chain Exchange'));
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
  await second?.stop();
});

describe('several EVM chains by configuration', () => {
  it('lists the configured chain and credits deposits on each chain in its own asset', async () => {
    const assets = await api.get<{ data: { asset: string; chain: string }[] }>('/v1/assets');
    expect(assets.body.data).toContainEqual(expect.objectContaining({ asset: 'DEV', chain: 'devnet' }));

    const acc = await api.post<{ id: string }>('/v1/accounts', { externalId: 'multichain' });
    const id = acc.body.id;
    const onEth = (await api.post<{ address: string }>(`/v1/accounts/${id}/addresses`, { chain: 'eth' })).body.address;
    const onDev = (await api.post<{ address: string; chain: string }>(`/v1/accounts/${id}/addresses`, { chain: 'devnet' })).body;
    expect(onDev.chain).toBe('devnet');

    const ethProvider = anvilProvider();
    // anvilProvider is pinned to 31337; the second chain needs its own network id.
    const { JsonRpcProvider } = await import('ethers');
    const devnet = new JsonRpcProvider(secondUrl, 31338, { staticNetwork: true, pollingInterval: 50 });
    const ethTx = await anvilDeployer(ethProvider).sendTransaction({ to: onEth, value: parseEther('0.5') });
    const devTx = await anvilDeployer(devnet).sendTransaction({ to: onDev.address, value: parseEther('2') });
    await Promise.all([mined(ethTx), mined(devTx)]);
    await ethProvider.send('anvil_mine', ['0x3']);
    await devnet.send('anvil_mine', ['0x3']);

    const credited = await waitFor('both deposits credited', async () => {
      const list = (await api.get<{ data: Deposit[] }>(`/v1/accounts/${id}/deposits`)).body.data;
      return list.length === 2 && list.every((d) => d.status === 'credited') ? list : undefined;
    });
    expect(credited.map((d) => [d.chain, d.asset, d.amount]).sort()).toEqual([
      ['devnet', 'DEV', '2000000000000000000'],
      ['eth', 'ETH', '500000000000000000'],
    ]);
    const balances = await api.get<{ data: { asset: string; available: string }[] }>(`/v1/accounts/${id}/balances`);
    expect(balances.body.data.find((b) => b.asset === 'DEV')?.available).toBe('2000000000000000000');
    // Each chain has its own elected scanner and its own checkpoint.
    const chains = await fixtures.db('scanner_fences').orderBy('chain').pluck('chain');
    expect(chains).toEqual(['devnet', 'eth']);
    devnet.destroy();
  });
});
