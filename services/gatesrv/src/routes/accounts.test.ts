import { afterAll, describe, expect, it } from 'vitest';
import { accountRoutes } from './accounts.js';
import { CLIENT_ID, codeOf, post, routeTestApp } from './routeTestApp.js';

const account = { id: 'acc_01', clientId: CLIENT_ID, externalId: 'CaseUser1', nodeId: 't1', createdAt: '2026-01-01T00:00:00.000Z' };

describe('account routes', async () => {
  const { app, calls } = await routeTestApp((api, deps) => accountRoutes(api, deps), {
    accountsrv: {
      createAccount: async (req: { externalId: string }) => ({
        account: { ...account, externalId: req.externalId },
        created: req.externalId !== 'again',
      }),
      getAccount: async () => account,
      listAccounts: async (req: { externalId: string; page: { cursor: string } }) => ({
        accounts: req.externalId === 'nobody' ? [] : [account],
        page: { nextCursor: req.externalId === '' && req.page.cursor === '' ? 'next-page' : '' },
      }),
    },
    nodes: { t1: { getBalances: async () => ({ balances: [{ asset: 'ETH', available: '5', frozen: '1', pending: '0', extra: 'x' }] }) } },
    accounts: { acc_01: 't1' },
  });
  afterAll(() => app.close());

  it('creates an account with 201 and returns an existing one with 200', async () => {
    const created = await app.inject(post('/v1/accounts', { externalId: 'CaseUser1' }));
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'acc_01', externalId: 'CaseUser1', createdAt: account.createdAt });
    expect(calls.at(-1)).toEqual({
      method: 'createAccount',
      args: { clientId: CLIENT_ID, externalId: 'CaseUser1', idempotencyKey: 'idem-1' },
    });
    const again = await app.inject(post('/v1/accounts', { externalId: 'again' }));
    expect(again.statusCode).toBe(200);
  });

  it.each([
    ['a missing externalId', {}],
    ['an unknown field', { externalId: 'a', nodeId: 't2' }],
    ['spaces', { externalId: 'a b' }],
    ['a number', { externalId: 7 }],
    ['129 characters', { externalId: 'x'.repeat(129) }],
  ])('refuses %s with VALIDATION_FAILED and calls nothing', async (_what, body) => {
    const before = calls.length;
    const r = await app.inject(post('/v1/accounts', body));
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
    expect(calls.length).toBe(before);
  });

  it('refuses a query on a route that takes none', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_01?x=1' });
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
  });

  it('reads balances from the account node, fields as documented', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_01/balances' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ data: [{ asset: 'ETH', available: '5', frozen: '1', pending: '0' }] });
    expect(calls.at(-1)).toMatchObject({ method: 'getBalances', nodeId: 't1', args: { accountId: 'acc_01' } });
  });

  it('answers ACCOUNT_NOT_FOUND for an account the client does not have', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_02/balances' });
    expect(r.statusCode).toBe(404);
    expect(codeOf(r.body)).toBe('ACCOUNT_NOT_FOUND');
  });

  it.each(['/v1/accounts/a%20b', '/v1/accounts/a.b/balances', `/v1/accounts/${'a'.repeat(65)}`])('refuses the id in %s', async (url) => {
    const r = await app.inject({ method: 'GET', url });
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
  });

  it('lists the client’s accounts with the query passed through, fields as documented', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts?limit=2&order=asc' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ data: [{ id: 'acc_01', externalId: 'CaseUser1', createdAt: account.createdAt }], nextCursor: 'next-page' });
    expect(calls.at(-1)).toEqual({
      method: 'listAccounts',
      args: { clientId: CLIENT_ID, externalId: '', order: 'asc', page: { limit: 2, cursor: '' } },
    });
    const next = await app.inject({ method: 'GET', url: '/v1/accounts?cursor=next-page' });
    expect(next.json()).toMatchObject({ nextCursor: null });
    expect(calls.at(-1)?.args).toEqual({ clientId: CLIENT_ID, externalId: '', order: '', page: { limit: 0, cursor: 'next-page' } });
  });

  it('finds by externalId as sent (percent-decoded, never case-folded): one account or an empty list, not a 404', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts?externalId=Case%2BUser%261' });
    expect(r.statusCode).toBe(200);
    expect(calls.at(-1)?.args).toMatchObject({ externalId: 'Case+User&1' });
    const none = await app.inject({ method: 'GET', url: '/v1/accounts?externalId=nobody' });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ data: [], nextCursor: null });
  });

  it.each([
    ['an unknown order', 'order=newest'],
    ['an externalId with a space', 'externalId=a%20b'],
    ['an empty externalId', 'externalId='],
    ['an externalId of 129 characters', `externalId=${'x'.repeat(129)}`],
    ['a limit of 0', 'limit=0'],
    ['an unknown parameter', 'status=active'],
  ])('refuses %s with VALIDATION_FAILED and calls nothing', async (_what, query) => {
    const before = calls.length;
    const r = await app.inject({ method: 'GET', url: `/v1/accounts?${query}` });
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
    expect(calls.length).toBe(before);
  });
});
