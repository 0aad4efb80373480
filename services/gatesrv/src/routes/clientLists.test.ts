import { WalletError } from '@wallet/errors';
import type { FastifyPluginAsync } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { depositRoutes } from './deposits.js';
import { CLIENT_ID, codeOf, post, routeTestApp } from './routeTestApp.js';
import { transferRoutes } from './transfers.js';
import { withdrawalRoutes } from './withdrawals.js';

const at = '2026-01-01T00:00:00.000Z';
const deposit = {
  id: 'dep_1',
  asset: 'ETH',
  chain: 'eth',
  address: '0x000000000000000000000000000000000000dead',
  txid: `0x${'ab'.repeat(32)}`,
  outputIndex: -1,
  amount: '7',
  blockNumber: '10',
  blockHash: `0x${'cd'.repeat(32)}`,
  confirmations: 3,
  status: 'credited',
  createdAt: at,
  creditedAt: at,
  internal: false,
};
const withdrawal = {
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
  createdAt: at,
  updatedAt: at,
  reference: '',
  metadata: {},
};
const transfer = {
  id: 'tr_1',
  clientId: CLIENT_ID,
  fromAccountId: 'acc_a',
  toAccountId: 'acc_b',
  asset: 'ETH',
  amount: '10',
  status: 'completed',
  createdAt: at,
  completedAt: at,
  reference: 'order-17',
  metadata: { desk: 'otc', note: 'ü €' },
};

/** Both transrv nodes answer the client-wide reads alike (they read one database). */
const node = () => ({
  listClientDeposits: async () => ({ deposits: [deposit], page: { nextCursor: 'next-dep' } }),
  listClientWithdrawals: async () => ({ withdrawals: [withdrawal], page: { nextCursor: '' } }),
  listClientTransfers: async () => ({ transfers: [transfer], page: { nextCursor: '' } }),
  getClientTransfer: async (req: { transferId: string }) => {
    if (req.transferId !== 'tr_1') throw new WalletError('NOT_FOUND', 'no such transfer');
    return transfer;
  },
  createWithdrawal: async (req: { reference: string }) => {
    if (req.reference === 'taken') throw new WalletError('DUPLICATE_REFERENCE', 'taken', { details: { reference: 'taken', id: 'wd_0' } });
    return { withdrawal, created: true };
  },
  transfer: async () => ({ transfer, created: true }),
});

describe('client-wide lists and references', async () => {
  const plugin = (...args: Parameters<typeof depositRoutes>): FastifyPluginAsync => {
    return async (app) => {
      await app.register(depositRoutes(...args));
      await app.register(withdrawalRoutes(...args));
      await app.register(transferRoutes(...args));
    };
  };
  const { app, calls } = await routeTestApp(plugin, { nodes: { t1: node(), t2: node() }, accounts: { acc_a: 't1', acc_b: 't2' } });
  afterAll(() => app.close());
  const get = (url: string) => app.inject({ method: 'GET', url });

  it('lists deposits with every filter sent to one node, newest first unless asked otherwise', async () => {
    const r = await get(
      '/v1/deposits?account=acc_b&asset=ETH&status=credited&since=2025-01-01T00:00:00Z&until=2026-02-01T00:00:00.5Z&limit=5',
    );
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      data: [expect.objectContaining({ id: 'dep_1', blockNumber: 10, status: 'credited' })],
      nextCursor: 'next-dep',
    });
    expect(calls.at(-1)).toMatchObject({
      method: 'listClientDeposits',
      args: {
        filter: {
          clientId: CLIENT_ID,
          accountId: 'acc_b',
          asset: 'ETH',
          status: 'credited',
          since: '2025-01-01T00:00:00Z',
          until: '2026-02-01T00:00:00.5Z',
          order: 'desc',
          reference: '',
        },
        page: { limit: 5, cursor: '' },
      },
    });
    await get('/v1/deposits?order=asc&cursor=abc');
    expect(calls.at(-1)).toMatchObject({
      method: 'listClientDeposits',
      args: { filter: { accountId: '', asset: '', status: '', since: '', until: '', order: 'asc' }, page: { limit: 0, cursor: 'abc' } },
    });
  });

  it('lists withdrawals and transfers with their references and metadata; none is null and {}', async () => {
    const w = await get('/v1/withdrawals?reference=order-17&status=pending_review');
    expect(w.statusCode).toBe(200);
    expect(w.json()).toEqual({ data: [expect.objectContaining({ id: 'wd_1', reference: null, metadata: {} })], nextCursor: null });
    expect(calls.at(-1)).toMatchObject({
      method: 'listClientWithdrawals',
      args: { filter: { reference: 'order-17', status: 'pending_review' } },
    });
    const t = await get('/v1/transfers?account=acc_a&status=completed');
    expect(t.json()).toEqual({
      data: [
        {
          id: 'tr_1',
          from: 'acc_a',
          to: 'acc_b',
          asset: 'ETH',
          amount: '10',
          status: 'completed',
          reference: 'order-17',
          metadata: { desk: 'otc', note: 'ü €' },
          createdAt: at,
        },
      ],
      nextCursor: null,
    });
    expect(calls.at(-1)).toMatchObject({ method: 'listClientTransfers', args: { filter: { accountId: 'acc_a', status: 'completed' } } });
  });

  it('reads a transfer by id; another client’s (the node says NOT_FOUND) is 404', async () => {
    const r = await get('/v1/transfers/tr_1');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: 'tr_1', reference: 'order-17' });
    expect(calls.at(-1)).toMatchObject({ method: 'getClientTransfer', args: { clientId: CLIENT_ID, transferId: 'tr_1' } });
    const other = await get('/v1/transfers/tr_other');
    expect(other.statusCode).toBe(404);
    expect(codeOf(other.body)).toBe('NOT_FOUND');
    expect((await get('/v1/transfers/tr%20x')).statusCode).toBe(400);
  });

  it.each([
    ['an unknown status', '/v1/deposits?status=confirmed', 'query.status'],
    ['a withdrawal status on transfers', '/v1/transfers?status=pending_review', 'query.status'],
    ['an unlisted asset', '/v1/withdrawals?asset=DOGE', 'query.asset'],
    ['a malformed asset', '/v1/deposits?asset=eth', 'query.asset'],
    ['a date without a time', '/v1/deposits?since=2026-01-01', 'query.since'],
    ['a time with an offset', '/v1/deposits?since=2026-01-01T00:00:00%2B01:00', 'query.since'],
    ['a time without Z', '/v1/deposits?until=2026-01-01T00:00:00', 'query.until'],
    ['four fraction digits', '/v1/deposits?since=2026-01-01T00:00:00.0001Z', 'query.since'],
    ['a day that does not exist', '/v1/transfers?since=2026-02-30T00:00:00Z', 'query.since'],
    ['hour 24', '/v1/transfers?until=2026-01-01T24:00:00Z', 'query.until'],
    ['until not after since', '/v1/withdrawals?since=2026-01-01T00:00:00Z&until=2026-01-01T00:00:00.000Z', 'query.until'],
    ['an unknown order', '/v1/deposits?order=newest', 'query.order'],
    ['a reference with a space', '/v1/withdrawals?reference=a%20b', 'query.reference'],
    ['a reference of 65 characters', `/v1/transfers?reference=${'r'.repeat(65)}`, 'query.reference'],
    ['a reference filter on deposits', '/v1/deposits?reference=x', 'query'],
    ['an unknown parameter', '/v1/deposits?accountId=acc_a', 'query'],
    ['a malformed account', '/v1/transfers?account=acc%2Fa', 'query.account'],
    ['a limit of 0', '/v1/withdrawals?limit=0', 'query.limit'],
  ])('refuses %s with 400 naming the field, and asks no node', async (_what, url, field) => {
    const before = calls.length;
    const r = await get(url);
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
    expect(r.json<{ error: { details: { issues: { field: string }[] } } }>().error.details.issues.map((i) => i.field)).toContain(field);
    expect(calls.length).toBe(before);
  });

  it("refuses another client's account (or none) with 404 ACCOUNT_NOT_FOUND, asking no node", async () => {
    const before = calls.length;
    for (const url of ['/v1/deposits?account=acc_x', '/v1/withdrawals?account=acc_x', '/v1/transfers?account=acc_x']) {
      const r = await get(url);
      expect(r.statusCode).toBe(404);
      expect(codeOf(r.body)).toBe('ACCOUNT_NOT_FOUND');
    }
    expect(calls.length).toBe(before);
  });

  it('sends a withdrawal’s reference and metadata to transrv; none is sent empty', async () => {
    const body = { asset: 'ETH', to: withdrawal.to, amount: '100', reference: 'order-17', metadata: { desk: 'otc' } };
    expect((await app.inject(post('/v1/accounts/acc_a/withdrawals', body))).statusCode).toBe(201);
    expect(calls.at(-1)).toMatchObject({ method: 'createWithdrawal', args: { reference: 'order-17', metadata: { desk: 'otc' } } });
    await app.inject(post('/v1/accounts/acc_a/withdrawals', { asset: 'ETH', to: withdrawal.to, amount: '100' }));
    expect(calls.at(-1)).toMatchObject({ method: 'createWithdrawal', args: { reference: '', metadata: {} } });
    const t = await app.inject(
      post('/v1/transfers', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '1', reference: 'x', metadata: {} }),
    );
    expect(t.statusCode).toBe(201);
    expect(calls.at(-1)).toMatchObject({ method: 'transfer', args: { reference: 'x', metadata: {} } });
  });

  it('answers a taken reference 409 DUPLICATE_REFERENCE with the holder', async () => {
    const r = await app.inject(
      post('/v1/accounts/acc_a/withdrawals', { asset: 'ETH', to: withdrawal.to, amount: '100', reference: 'taken' }),
    );
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ error: { code: 'DUPLICATE_REFERENCE', details: { reference: 'taken', id: 'wd_0' } } });
  });

  const many = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));
  it.each([
    ['an empty reference', { reference: '' }, 'body.reference'],
    ['a reference with a space', { reference: 'a b' }, 'body.reference'],
    ['a non-ASCII reference', { reference: 'ref-é' }, 'body.reference'],
    ['a reference of 65 characters', { reference: 'r'.repeat(65) }, 'body.reference'],
    ['a numeric reference', { reference: 17 }, 'body.reference'],
    ['metadata that is a string', { metadata: '{}' }, 'body.metadata'],
    ['metadata that is an array', { metadata: ['a'] }, 'body.metadata'],
    ['a number value', { metadata: { a: 1 } }, 'body.metadata.a'],
    ['a nested object', { metadata: { a: { b: 'c' } } }, 'body.metadata.a'],
    ['a null value', { metadata: { a: null } }, 'body.metadata.a'],
    ['21 keys', { metadata: many(21) }, 'body.metadata'],
    ['an empty key', { metadata: { '': 'v' } }, 'body.metadata'],
    ['a key of 41 characters', { metadata: { ['k'.repeat(41)]: 'v' } }, 'body.metadata'],
    ['a value of 501 characters', { metadata: { a: 'v'.repeat(501) } }, 'body.metadata.a'],
    ['over 2,048 bytes', { metadata: many(5, 'é'.repeat(250)) }, 'body.metadata'],
  ])('refuses %s with 400 naming the field, and sends nothing', async (_what, extra, field) => {
    for (const [url, base] of [
      ['/v1/accounts/acc_a/withdrawals', { asset: 'ETH', to: withdrawal.to, amount: '100' }],
      ['/v1/transfers', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '1' }],
    ] as const) {
      const before = calls.length;
      const r = await app.inject(post(url, { ...base, ...extra }));
      expect(r.statusCode, url).toBe(400);
      expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
      const fields = r.json<{ error: { details: { issues: { field: string }[] } } }>().error.details.issues.map((i) => i.field);
      expect(
        fields.some((f) => f.startsWith(field)),
        `${url}: ${fields.join(', ')}`,
      ).toBe(true);
      expect(calls.length).toBe(before);
    }
  });

  it('refuses a __proto__ key rather than dropping it', async () => {
    const r = await app.inject({
      ...post('/v1/transfers', {}),
      payload: '{"from":"acc_a","to":"acc_b","asset":"ETH","amount":"1","metadata":{"__proto__":"x"}}',
    });
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
  });

  it('takes metadata at the bounds: 20 keys, 40-character keys, 500-character values, 2,048 bytes', async () => {
    const at20 = many(20, 'x'.repeat(80));
    const bound = { ['k'.repeat(40)]: 'v'.repeat(500) };
    // Five values of 400 characters, the last one longer by what is left to 2,048 bytes.
    const five = many(5, 'x'.repeat(400));
    const exact = { ...five, k4: 'x'.repeat(400 + 2048 - JSON.stringify(five).length) };
    for (const metadata of [at20, bound, exact, { 'ключ 🔑': 'значение 😀' }]) {
      const r = await app.inject(post('/v1/transfers', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '1', metadata }));
      expect(r.statusCode, JSON.stringify(metadata).slice(0, 40)).toBe(201);
      expect(calls.at(-1)).toMatchObject({ method: 'transfer', args: { metadata } });
    }
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(2048);
  });
});
