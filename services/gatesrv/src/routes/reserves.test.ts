import { WalletError } from '@wallet/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { reservesRoutes } from './reserves.js';
import { codeOf, routeTestApp } from './routeTestApp.js';

const answer = (r: { statusCode: number; body: string }) => [r.statusCode, codeOf(r.body)];

const hex = (c: string) => c.repeat(64);
const proof = {
  reportId: 'por_1',
  asset: 'ETH',
  root: hex('a'),
  total: '100',
  leafCount: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  leafIndex: 2,
  balance: '40',
  commitment: hex('b'),
  salt: hex('c'),
  path: [
    { hash: hex('0'), sum: '0', side: 'right' },
    { hash: hex('d'), sum: '60', side: 'left' },
  ],
};

describe('reserves routes', async () => {
  const { app, calls } = await routeTestApp((api, deps) => reservesRoutes(api, deps), {
    accounts: { acc_1: 't1', acc_2: 't2' },
    nodes: {
      t1: { getReservesProof: async () => proof },
      t2: {
        getReservesProof: async () => {
          throw new WalletError('RESERVES_PROOF_NOT_FOUND', 'no leaf', { details: { reason: 'no_leaf' } });
        },
      },
    },
  });
  afterAll(() => app.close());

  it("answers the account's node's proof in the documented shape", async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_1/reserves-proof?asset=ETH' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      reportId: 'por_1',
      asset: 'ETH',
      createdAt: '2026-01-01T00:00:00.000Z',
      root: hex('a'),
      total: '100',
      leafCount: 3,
      accountId: 'acc_1',
      leaf: { index: 2, balance: '40', commitment: hex('b') },
      salt: hex('c'),
      path: [
        { hash: hex('0'), sum: '0', side: 'right' },
        { hash: hex('d'), sum: '60', side: 'left' },
      ],
    });
    expect(calls.at(-1)).toEqual({ method: 'getReservesProof', nodeId: 't1', args: { accountId: 'acc_1', asset: 'ETH' } });
  });

  it('refuses a missing or malformed asset (400), an unlisted one (422) and another client’s account (404) before asking a node', async () => {
    const before = calls.length;
    expect(answer(await app.inject({ method: 'GET', url: '/v1/accounts/acc_1/reserves-proof' }))).toEqual([400, 'VALIDATION_FAILED']);
    expect(answer(await app.inject({ method: 'GET', url: '/v1/accounts/acc_1/reserves-proof?asset=eth' }))).toEqual([
      400,
      'VALIDATION_FAILED',
    ]);
    expect(answer(await app.inject({ method: 'GET', url: '/v1/accounts/acc_1/reserves-proof?asset=DOGE' }))).toEqual([
      422,
      'UNSUPPORTED_ASSET',
    ]);
    expect(answer(await app.inject({ method: 'GET', url: '/v1/accounts/acc_x/reserves-proof?asset=ETH' }))).toEqual([
      404,
      'ACCOUNT_NOT_FOUND',
    ]);
    expect(calls.length).toBe(before);
  });

  it("passes the node's RESERVES_PROOF_NOT_FOUND on as 404 with its reason", async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/accounts/acc_2/reserves-proof?asset=ETH' });
    expect(answer(r)).toEqual([404, 'RESERVES_PROOF_NOT_FOUND']);
    expect(r.json<{ error: { details: unknown } }>().error.details).toEqual({ reason: 'no_leaf' });
  });
});
