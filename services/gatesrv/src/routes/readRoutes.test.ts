import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { WalletError } from '@wallet/errors';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { addressRoutes } from './addresses.js';
import { assetRoutes } from './assets.js';
import { depositRoutes } from './deposits.js';
import { ledgerRoutes } from './ledger.js';
import { codeOf, post, registry, routeTestApp } from './routeTestApp.js';

const at = '2026-01-01T00:00:00.000Z';
// The dev registry with a token whose contract is configured in lower case.
const tokenRegistry = AssetRegistry.parse({
  ...devRegistryInput,
  assets: [
    ...devRegistryInput.assets,
    {
      id: 'USDT',
      chain: 'eth',
      decimals: 6,
      confirmations: 3,
      minWithdrawal: '1000000',
      withdrawalFee: '100000',
      contract: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
    },
  ],
});

describe('asset routes', async () => {
  // What accountsrv reports on the local stack: a node for eth only.
  const { app, calls } = await routeTestApp((api, deps) => assetRoutes(api, deps), {
    accountsrv: {
      getServedChains: async () => ({
        chains: [
          { chain: 'eth', deposits: true, withdrawals: true },
          { chain: 'btc', deposits: true, withdrawals: false },
          { chain: 'ltc', deposits: false, withdrawals: false },
        ],
      }),
    },
  });
  afterAll(() => app.close());
  it('lists every configured asset with amounts as strings', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/assets' });
    const data = r.json<{ data: { asset: string; minWithdrawal: unknown }[] }>().data;
    expect(data.map((a) => a.asset)).toEqual(registry.assetIds());
    expect(data.every((a) => typeof a.minWithdrawal === 'string')).toBe(true);
  });
  it("says per asset what this deployment serves, from accountsrv's answer, with its chain's facts", async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/assets' });
    expect(r.json()).toEqual({
      data: [
        {
          asset: 'BTC',
          chain: 'btc',
          chainKind: 'utxo',
          network: 'regtest',
          decimals: 8,
          confirmations: 2,
          minWithdrawal: '10000',
          withdrawalFee: '2000',
          deposits: true,
          withdrawals: false,
          transfers: true,
        },
        {
          asset: 'ETH',
          chain: 'eth',
          chainKind: 'evm',
          network: 'regtest',
          evmChainId: 31337,
          decimals: 18,
          confirmations: 3,
          minWithdrawal: '1000000000000000',
          withdrawalFee: '100000000000000',
          deposits: true,
          withdrawals: true,
          transfers: true,
        },
        expect.objectContaining({ asset: 'LTC', chain: 'ltc', deposits: false, withdrawals: false, transfers: true }),
      ],
    });
  });
  it('asks accountsrv once for a burst of requests (the answer is kept for a while)', async () => {
    const before = calls.length;
    for (let i = 0; i < 5; i++) await app.inject({ method: 'GET', url: '/v1/assets' });
    expect(calls.length - before).toBe(0);
    expect(calls.map((c) => c.method)).toEqual(['getServedChains']);
  });
});

describe('asset routes while accountsrv does not answer', async () => {
  let answering = true;
  const { app, calls } = await routeTestApp((api, deps) => assetRoutes(api, deps), {
    accountsrv: {
      getServedChains: async () => {
        if (!answering) throw new WalletError('UNAVAILABLE', 'accountsrv: no live instance');
        return { chains: [{ chain: 'eth', deposits: true, withdrawals: true }] };
      },
    },
  });
  afterAll(() => {
    vi.useRealTimers();
    return app.close();
  });
  it('is 503 before accountsrv ever answered, then shows its last answer past the cache time, asking again each second', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    answering = false;
    const never = await app.inject({ method: 'GET', url: '/v1/assets' });
    expect(never.statusCode).toBe(503);
    answering = true;
    const eth = (r: { json: () => unknown }) => (r.json() as { data: Record<string, unknown>[] }).data.find((a) => a['asset'] === 'ETH');
    expect(eth(await app.inject({ method: 'GET', url: '/v1/assets' }))).toMatchObject({ deposits: true, withdrawals: true });
    answering = false;
    vi.advanceTimersByTime(60_000);
    const asked = calls.length;
    const stale = await app.inject({ method: 'GET', url: '/v1/assets' });
    expect(stale.statusCode).toBe(200);
    expect(eth(stale)).toMatchObject({ deposits: true, withdrawals: true });
    expect(calls.length - asked).toBe(1);
    await app.inject({ method: 'GET', url: '/v1/assets' });
    expect(calls.length - asked).toBe(1);
    vi.advanceTimersByTime(1_000);
    await app.inject({ method: 'GET', url: '/v1/assets' });
    expect(calls.length - asked).toBe(2);
  });
});

describe('asset routes with tokens', async () => {
  const { app } = await routeTestApp((api, deps) => assetRoutes(api, { ...deps, registry: tokenRegistry }), {
    accountsrv: { getServedChains: async () => ({ chains: [{ chain: 'eth', deposits: true, withdrawals: true }] }) },
  });
  afterAll(() => app.close());
  it('shows the contract in EIP-55 whatever case configured it, and a chain accountsrv does not report as not served', async () => {
    const data = (await app.inject({ method: 'GET', url: '/v1/assets' })).json<{ data: Record<string, unknown>[] }>().data;
    expect(data.find((a) => a['asset'] === 'USDT')).toMatchObject({
      contract: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      deposits: true,
      withdrawals: true,
    });
    expect(data.find((a) => a['asset'] === 'BTC')).toMatchObject({ deposits: false, withdrawals: false, transfers: true });
    expect(data.find((a) => a['asset'] === 'ETH')).not.toHaveProperty('contract');
  });
});

describe('address routes', async () => {
  const { app, calls } = await routeTestApp((api, deps) => addressRoutes(api, deps), {
    accountsrv: {
      createAddress: async () => ({ chain: 'eth', address: '0xabc', index: 3, createdAt: at, path: "m/44'/60'/0'/0/3" }),
      listAddresses: async () => ({
        addresses: [{ chain: 'eth', address: '0xabc', index: 3, createdAt: at }],
        page: { nextCursor: 'next' },
      }),
    },
  });
  afterAll(() => app.close());
  it('issues an address with the Idempotency-Key and shows only the documented fields', async () => {
    const r = await app.inject(post('/v1/accounts/acc_a/addresses', { chain: 'eth' }, 'addr-1'));
    expect(r.statusCode).toBe(201);
    expect(r.json()).toEqual({ chain: 'eth', address: '0xabc', index: 3, createdAt: at });
    expect(calls.at(-1)?.args).toMatchObject({ idempotencyKey: 'addr-1', chain: 'eth' });
  });
  it('refuses an unknown chain with UNSUPPORTED_CHAIN', async () => {
    const r = await app.inject(post('/v1/accounts/acc_a/addresses', { chain: 'doge' }));
    expect(codeOf(r.body)).toBe('UNSUPPORTED_CHAIN');
  });
  it('pages with nextCursor', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_a/addresses?chain=eth&limit=1' });
    expect(r.json()).toMatchObject({ nextCursor: 'next' });
  });
});

describe('ledger and deposit routes', async () => {
  const { app } = await routeTestApp(
    (api, deps) => async (scope) => {
      await scope.register(ledgerRoutes(api, deps));
      await scope.register(depositRoutes(api, deps));
    },
    {
      nodes: {
        t1: {
          listLedger: async () => ({
            entries: [
              {
                id: '1',
                asset: 'ETH',
                amount: '-5',
                kind: 'transfer_out',
                refId: 'tr_1',
                balanceAfter: '0',
                bucket: 'available',
                createdAt: at,
              },
            ],
            page: { nextCursor: '' },
          }),
          listDeposits: async () => ({
            deposits: [
              {
                id: 'dep_1',
                asset: 'ETH',
                chain: 'eth',
                address: '0xabc',
                txid: '0x01',
                outputIndex: 0,
                amount: '7',
                blockNumber: '12',
                blockHash: '0x02',
                confirmations: 1,
                status: 'pending',
                createdAt: at,
                creditedAt: '',
                internal: false,
              },
              {
                id: 'dep_2',
                asset: 'ETH',
                chain: 'eth',
                address: '0xabc',
                txid: '',
                outputIndex: 0,
                amount: '9',
                blockNumber: '0',
                blockHash: '',
                confirmations: 0,
                status: 'credited',
                createdAt: at,
                creditedAt: at,
                internal: true,
              },
            ],
            page: { nextCursor: '' },
          }),
        },
      },
      accounts: { acc_a: 't1' },
    },
  );
  afterAll(() => app.close());
  it('shows ledger lines with signed amounts', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_a/ledger?asset=ETH' });
    expect(r.json()).toMatchObject({ data: [{ amount: '-5', bucket: 'available' }], nextCursor: null });
    expect(codeOf((await app.inject({ method: 'GET', url: '/v1/accounts/acc_a/ledger?asset=DOGE' })).body)).toBe('UNSUPPORTED_ASSET');
  });
  it('shows deposits with a numeric block number and a null creditedAt until credited', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_a/deposits' });
    expect(r.json()).toMatchObject({
      data: [
        { blockNumber: 12, creditedAt: null, status: 'pending', internal: false, txid: '0x01' },
        { internal: true, txid: null, blockNumber: null, blockHash: null, creditedAt: at },
      ],
    });
  });
  it('refuses an unknown cursor-shaped query key', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_a/deposits?after=1' });
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
  });
});
