import { WalletError } from '@wallet/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, codeOf, post, routeTestApp } from './routeTestApp.js';
import { withdrawalRoutes } from './withdrawals.js';

const record = {
  id: 'wd_1',
  clientId: CLIENT_ID,
  accountId: 'acc_a',
  chain: 'eth',
  asset: 'ETH',
  to: '0x000000000000000000000000000000000000dEaD',
  amount: '100',
  fee: '5',
  status: 'pending_review',
  txid: '',
  confirmations: -1,
  reason: '',
  networkFee: '',
  internal: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

// A signed LTC withdrawal paid by output 0 of a batch transaction.
const ltcRecord = {
  ...record,
  id: 'wd_ltc',
  chain: 'ltc',
  asset: 'LTC',
  to: 'rltc1qw508d6qejxtdg4y5r3zarvary0c5xw7k693xs3',
  status: 'signed',
  txid: 'ab'.repeat(32),
  outputIndex: 0,
};

describe('withdrawal routes', async () => {
  const { app, calls } = await routeTestApp((api, deps) => withdrawalRoutes(api, deps), {
    nodes: {
      t1: {
        createWithdrawal: async () => ({ withdrawal: record, created: true }),
        listWithdrawals: async () => ({ withdrawals: [record], page: { nextCursor: '' } }),
        getWithdrawal: async (req: { withdrawalId: string }) => {
          if (req.withdrawalId === 'wd_ltc') return ltcRecord;
          if (req.withdrawalId !== 'wd_1') throw new WalletError('NOT_FOUND');
          return record;
        },
        cancelWithdrawal: async () => ({ ...record, status: 'cancelled' }),
      },
    },
    accounts: { acc_a: 't1' },
  });
  afterAll(() => app.close());

  it('creates a withdrawal: absent values are null', async () => {
    const r = await app.inject(post('/v1/accounts/acc_a/withdrawals', { asset: 'ETH', to: record.to, amount: '100' }));
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({
      id: 'wd_1',
      status: 'pending_review',
      txid: null,
      outputIndex: null,
      confirmations: null,
      reason: null,
      networkFee: null,
    });
  });

  it('shows a UTXO withdrawal’s output index with its txid (0 is an index, not absent)', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/withdrawals/wd_ltc' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: 'wd_ltc', status: 'signed', txid: 'ab'.repeat(32), outputIndex: 0 });
  });

  it.each([
    ['a fee field', { asset: 'ETH', to: record.to, amount: '100', fee: '0' }],
    ['no destination', { asset: 'ETH', amount: '100' }],
    ['an over-long destination', { asset: 'ETH', to: 'x'.repeat(101), amount: '100' }],
    ['a negative amount', { asset: 'ETH', to: record.to, amount: '-1' }],
    ['an amount over 2^256-1', { asset: 'ETH', to: record.to, amount: (2n ** 256n).toString() }],
  ])('refuses %s with VALIDATION_FAILED', async (_what, body) => {
    const before = calls.length;
    const r = await app.inject(post('/v1/accounts/acc_a/withdrawals', body));
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
    expect(calls.length).toBe(before);
  });

  it('lists with a null nextCursor on the last page', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_a/withdrawals?limit=10' });
    expect(r.json()).toMatchObject({ data: [{ id: 'wd_1' }], nextCursor: null });
    const bad = await app.inject({ method: 'GET', url: '/v1/accounts/acc_a/withdrawals?limit=1e2' });
    expect(codeOf(bad.body)).toBe('VALIDATION_FAILED');
  });

  it('cancels with no body or {} on the account node, and refuses any other body', async () => {
    const none = await app.inject({ method: 'POST', url: '/v1/withdrawals/wd_1/cancel', headers: { 'idempotency-key': 'c1' } });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toMatchObject({ status: 'cancelled' });
    const empty = await app.inject(post('/v1/withdrawals/wd_1/cancel', {}, 'c2'));
    expect(empty.statusCode).toBe(200);
    const extra = await app.inject(post('/v1/withdrawals/wd_1/cancel', { status: 'x' }, 'c3'));
    expect(codeOf(extra.body)).toBe('VALIDATION_FAILED');
    expect(calls.at(-1)?.method).toBe('cancelWithdrawal');
  });

  it("answers NOT_FOUND for another client's or an unknown withdrawal", async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/withdrawals/wd_2' });
    expect(r.statusCode).toBe(404);
    expect(codeOf(r.body)).toBe('NOT_FOUND');
  });
});
