import { afterAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, codeOf, post, routeTestApp } from './routeTestApp.js';
import { transferRoutes } from './transfers.js';

const transfer = (req: { fromAccountId: string; toAccountId: string; asset: string; amount: string }) => ({
  id: 'tr_1',
  fromAccountId: req.fromAccountId,
  toAccountId: req.toAccountId,
  asset: req.asset,
  amount: req.amount,
  status: 'completed',
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('transfer routes', async () => {
  const { app, calls } = await routeTestApp((api, deps) => transferRoutes(api, deps), {
    nodes: { t1: { transfer: async (req: never) => ({ transfer: transfer(req), created: true }) } },
    accounts: { acc_a: 't1', acc_b: 't1', acc_c: 't9' },
  });
  afterAll(() => app.close());

  it('sends the transfer to the sender node with the idempotency claim', async () => {
    const r = await app.inject(post('/v1/transfers', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '10' }, 'key-A'));
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ id: 'tr_1', from: 'acc_a', to: 'acc_b', amount: '10', status: 'completed' });
    expect(calls.at(-1)).toMatchObject({
      method: 'transfer',
      nodeId: 't1',
      args: { clientId: CLIENT_ID, idempotencyKey: 'key-A', toNodeId: 't1', amount: '10' },
    });
  });

  it.each([
    ['from equal to to', { from: 'acc_a', to: 'acc_a', asset: 'ETH', amount: '1' }, 400, 'VALIDATION_FAILED'],
    ['a zero amount', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '0' }, 400, 'VALIDATION_FAILED'],
    ['a fractional amount', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '1.5' }, 400, 'VALIDATION_FAILED'],
    ['a numeric amount', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: 1 }, 400, 'VALIDATION_FAILED'],
    ['an unknown asset', { from: 'acc_a', to: 'acc_b', asset: 'DOGE', amount: '1' }, 422, 'UNSUPPORTED_ASSET'],
    ['an unknown receiver', { from: 'acc_a', to: 'acc_x', asset: 'ETH', amount: '1' }, 404, 'ACCOUNT_NOT_FOUND'],
    ['a receiver whose node is down', { from: 'acc_a', to: 'acc_c', asset: 'ETH', amount: '1' }, 503, 'SHARD_UNAVAILABLE'],
    ['a status field', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '1', status: 'completed' }, 400, 'VALIDATION_FAILED'],
  ])('refuses %s and sends nothing', async (_what, body, status, code) => {
    const before = calls.length;
    const r = await app.inject(post('/v1/transfers', body));
    expect(r.statusCode).toBe(status);
    expect(codeOf(r.body)).toBe(code);
    expect(calls.length).toBe(before);
  });

  it('refuses duplicate keys instead of taking the last value', async () => {
    const r = await app.inject({
      ...post('/v1/transfers', {}),
      payload: '{"from":"acc_a","to":"acc_b","asset":"ETH","amount":"1","amount":"1000"}',
    });
    expect(r.statusCode).toBe(400);
    expect(codeOf(r.body)).toBe('VALIDATION_FAILED');
  });

  it('refuses a body that is not sent as JSON with 415', async () => {
    const r = await app.inject({
      ...post('/v1/transfers', { from: 'acc_a', to: 'acc_b', asset: 'ETH', amount: '1' }),
      headers: { 'content-type': 'text/plain', 'idempotency-key': 'k' },
    });
    expect(r.statusCode).toBe(415);
    expect(codeOf(r.body)).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
