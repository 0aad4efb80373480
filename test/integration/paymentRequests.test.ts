import { type JsonRpcProvider, type Wallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilDeployer, anvilProvider, mined } from '../contracts/deploy.js';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { Litecoind, ltcRpcUrl } from '../harness/litecoind.js';
import { waitFor } from '../harness/waitFor.js';

// Payment requests through the whole cluster (issue 17): paid in parts on anvil and on litecoind, overpaid, expired
// and paid late, paid while every transrv node was down; bad requests refused with nothing made.

type PaymentRequest = {
  id: string;
  accountId: string;
  asset: string;
  chain: string;
  address: string;
  amount: string;
  received: string;
  lateReceived: string;
  status: string;
  latePayment: boolean;
  metadata: Record<string, string>;
  expiresAt: string;
  paidAt: string | null;
  expiredAt: string | null;
};
type Event = { seq: number; type: string; resourceId: string; version: number; data: { status: string; received: string } };

let cluster: Cluster;
let api: ApiClient;
let fixtures: LedgerFixtures;
let provider: JsonRpcProvider;
let deployer: Wallet;
const ltc = new Litecoind();

beforeAll(async () => {
  provider = anvilProvider();
  deployer = anvilDeployer(provider);
  cluster = await Cluster.start({ chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl } });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Invoicing Exchange'));
  for (const chain of ['eth', 'ltc']) {
    await waitFor(
      `a ${chain} scanner leader`,
      async () =>
        [cluster.process('transrv-t1'), cluster.process('transrv-t2')].some((p) =>
          p.lines.some((l) => l.msg === 'scanning as leader' && l['chain'] === chain),
        ) || undefined,
    );
  }
}, 180_000);

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

let accounts = 0;
const openAccount = async (): Promise<string> =>
  (await api.post<{ id: string }>('/v1/accounts', { externalId: `payee-${++accounts}` })).body.id;
const create = (accountId: string, body: unknown, idempotencyKey?: string) =>
  api.post<PaymentRequest>(`/v1/accounts/${accountId}/payment-requests`, body, idempotencyKey ? { idempotencyKey } : {});
const read = async (id: string): Promise<PaymentRequest> => {
  const res = await api.get<PaymentRequest>(`/v1/payment-requests/${id}`);
  expect(res.status).toBe(200);
  return res.body;
};
const until = (id: string, status: string, received?: string) =>
  waitFor(
    `${id} ${status}${received ? ` ${received}` : ''}`,
    async () => {
      const res = await api.get<PaymentRequest>(`/v1/payment-requests/${id}`);
      if (res.status !== 200) return undefined;
      return res.body.status === status && (received === undefined || res.body.received === received) ? res.body : undefined;
    },
    90_000,
  );
const payEth = async (to: string, wei: bigint) => {
  await mined(deployer.sendTransaction({ to, value: wei }));
  await provider.send('anvil_mine', ['0xc']);
};
const payLtc = async (to: string, ltcAmount: string) => {
  await ltc.sendMany({ [to]: ltcAmount });
  await ltc.mine(3);
};
const available = async (accountId: string, asset: string) =>
  (await api.get<{ data: { asset: string; available: string }[] }>(`/v1/accounts/${accountId}/balances`)).body.data.find(
    (b) => b.asset === asset,
  )!.available;
const eventsOf = async (id: string): Promise<Event[]> => {
  const page = await api.get<{ data: Event[] }>('/v1/events?after=0&limit=1000');
  return page.body.data.filter((e) => e.resourceId === id);
};

describe('payment requests', () => {
  it('ETH paid in two parts: pending, partially_paid, paid; one event per change; a retry answers the same request', async () => {
    const account = await openAccount();
    const body = { asset: 'ETH', amount: parseEther('1').toString(), expiresIn: 3600, metadata: { invoice: 'INV-1' } };
    const res = await create(account, body, 'pr-eth-1');
    expect(res.status).toBe(201);
    const pr = res.body;
    expect(pr).toMatchObject({ accountId: account, asset: 'ETH', chain: 'eth', status: 'pending', received: '0', latePayment: false });
    expect(pr.id).toMatch(/^prq_/);
    expect(pr.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(pr.metadata).toEqual({ invoice: 'INV-1' });
    const again = await create(account, body, 'pr-eth-1');
    expect(again.status).toBe(201);
    expect(again.body).toEqual(pr);
    // The address is the account's, new, and given once.
    const addresses = (await api.get<{ data: { address: string }[] }>(`/v1/accounts/${account}/addresses`)).body.data;
    expect(addresses.map((a) => a.address)).toEqual([pr.address]);

    await payEth(pr.address, parseEther('0.4'));
    await until(pr.id, 'partially_paid', parseEther('0.4').toString());
    await payEth(pr.address, parseEther('0.6'));
    const paid = await until(pr.id, 'paid', parseEther('1').toString());
    expect(paid.paidAt).not.toBeNull();
    expect(await available(account, 'ETH')).toBe(parseEther('1').toString());
    const events = await waitFor('three events', async () => {
      const e = await eventsOf(pr.id);
      return e.length >= 3 ? e : undefined;
    });
    expect(events.map((e) => [e.type, e.version, e.data.received])).toEqual([
      ['payment_request.created', 1, '0'],
      ['payment_request.partially_paid', 2, parseEther('0.4').toString()],
      ['payment_request.paid', 3, parseEther('1').toString()],
    ]);
    const list = await api.get<{ data: PaymentRequest[] }>(`/v1/accounts/${account}/payment-requests`);
    expect(list.body.data.map((p) => [p.id, p.status])).toEqual([[pr.id, 'paid']]);
  });

  it('LTC paid in two parts on litecoind, the second overpaying', async () => {
    const account = await openAccount();
    const pr = (await create(account, { asset: 'LTC', amount: '25000000', expiresIn: 600 })).body;
    expect(pr.address).toMatch(/^rltc1/);
    await payLtc(pr.address, '0.1');
    await until(pr.id, 'partially_paid', '10000000');
    await payLtc(pr.address, '0.2');
    await until(pr.id, 'overpaid', '30000000');
    expect(await available(account, 'LTC')).toBe('30000000');
  });

  it('expires unpaid; a payment after that is credited to the account and flags the request', async () => {
    const account = await openAccount();
    const pr = (await create(account, { asset: 'ETH', amount: '1000000', expiresIn: 60 })).body;
    await payEth(pr.address, 400_000n);
    await until(pr.id, 'partially_paid', '400000');
    // The deadline passes (60 s is the shortest a client may ask for: the test moves it instead of waiting).
    await fixtures
      .db('payment_requests')
      .where({ id: pr.id })
      .update({ expires_at: fixtures.db.raw('CURRENT_TIMESTAMP(3)') });
    const expired = await until(pr.id, 'expired');
    expect(expired.expiredAt).not.toBeNull();
    await payEth(pr.address, 600_000n);
    const late = await waitFor('the late payment', async () => {
      const p = await read(pr.id);
      return p.latePayment ? p : undefined;
    });
    expect(late).toMatchObject({ status: 'expired', received: '400000', lateReceived: '600000', latePayment: true });
    expect(await available(account, 'ETH')).toBe('1000000');
    const types = await waitFor('the late event', async () => {
      const t = (await eventsOf(pr.id)).map((e) => e.type);
      return t.includes('payment_request.late_payment') ? t : undefined;
    });
    expect(types).toEqual([
      'payment_request.created',
      'payment_request.partially_paid',
      'payment_request.expired',
      'payment_request.late_payment',
    ]);
  });

  it('a payment made while every transrv node is down is applied when they come back', async () => {
    const account = await openAccount();
    const pr = (await create(account, { asset: 'ETH', amount: '5000000', expiresIn: 3600 })).body;
    for (const node of ['t1', 't2']) cluster.process(`transrv-${node}`).child.kill('SIGKILL');
    await Promise.all(['t1', 't2'].map((node) => cluster.process(`transrv-${node}`).exited));
    await payEth(pr.address, 5_000_000n);
    expect([503, 504]).toContain((await api.get(`/v1/payment-requests/${pr.id}`)).status);
    await Promise.all(['t1', 't2'].map((node) => cluster.startTransrv(node)));
    await until(pr.id, 'paid', '5000000');
    expect(await available(account, 'ETH')).toBe('5000000');
    // The feed is filled from the nodes' outboxes after each change commits.
    await fixtures.outboxDrained();
    const paidEvents = (await eventsOf(pr.id)).filter((e) => e.type === 'payment_request.paid');
    expect(paidEvents).toHaveLength(1);
  });

  it('refuses bad requests with a clear error, and makes neither a request nor an address', async () => {
    const account = await openAccount();
    const bad: [string, unknown, number, string][] = [
      ['expiresIn too short', { asset: 'ETH', amount: '1', expiresIn: 59 }, 400, 'VALIDATION_FAILED'],
      ['expiresIn too long', { asset: 'ETH', amount: '1', expiresIn: 2_592_001 }, 400, 'VALIDATION_FAILED'],
      ['expiresIn fractional', { asset: 'ETH', amount: '1', expiresIn: 90.5 }, 400, 'VALIDATION_FAILED'],
      ['expiresIn a string', { asset: 'ETH', amount: '1', expiresIn: '90' }, 400, 'VALIDATION_FAILED'],
      ['no expiresIn', { asset: 'ETH', amount: '1' }, 400, 'VALIDATION_FAILED'],
      ['zero amount', { asset: 'ETH', amount: '0', expiresIn: 600 }, 400, 'VALIDATION_FAILED'],
      ['negative amount', { asset: 'ETH', amount: '-5', expiresIn: 600 }, 400, 'VALIDATION_FAILED'],
      ['exponent amount', { asset: 'ETH', amount: '1e18', expiresIn: 600 }, 400, 'VALIDATION_FAILED'],
      ['a field too many', { asset: 'ETH', amount: '1', expiresIn: 600, status: 'paid' }, 400, 'VALIDATION_FAILED'],
      ['an unknown asset', { asset: 'DOGE', amount: '1', expiresIn: 600 }, 422, 'UNSUPPORTED_ASSET'],
      ['a chain no scanner watches', { asset: 'BTC', amount: '1', expiresIn: 600 }, 422, 'UNSUPPORTED_CHAIN'],
    ];
    for (const [name, body, status, code] of bad) {
      const res = await api.post<{ error: { code: string } }>(`/v1/accounts/${account}/payment-requests`, body);
      expect(res.status, name).toBe(status);
      expect(res.body.error.code, name).toBe(code);
    }
    expect((await api.get<{ data: unknown[] }>(`/v1/accounts/${account}/payment-requests`)).body.data).toEqual([]);
    expect((await api.get<{ data: unknown[] }>(`/v1/accounts/${account}/addresses`)).body.data).toEqual([]);

    const missing = await create('acc_01NOPE', { asset: 'ETH', amount: '1', expiresIn: 600 });
    expect([missing.status, (missing.body as unknown as { error: { code: string } }).error.code]).toEqual([404, 'ACCOUNT_NOT_FOUND']);
    expect((await api.get('/v1/payment-requests/prq_01AAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await api.get('/v1/payment-requests/not-an-id')).status).toBe(400);
    // Another client cannot read it.
    const pr = (await create(account, { asset: 'ETH', amount: '1', expiresIn: 600 })).body;
    const other = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Other Exchange'));
    expect((await other.get(`/v1/payment-requests/${pr.id}`)).status).toBe(404);
    expect((await fetch(`${cluster.gatewayUrl}/v1/payment-requests/${pr.id}`)).status).toBe(401);
  });
});
