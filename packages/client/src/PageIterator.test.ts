import { afterEach, describe, expect, it } from 'vitest';
import { PageIterator } from './PageIterator.js';
import { type TestGateway, startTestGateway } from './testGateway.js';
import { WalletClient } from './WalletClient.js';

// Five deposits served two per page: the cursor is the index of the next item (opaque to the client).
const deposits = ['d5', 'd4', 'd3', 'd2', 'd1'].map((id) => ({ id, amount: '1' }));

let gateway: TestGateway;
afterEach(() => gateway.close());

async function pagedClient() {
  gateway = await startTestGateway((r) => {
    const query = new URL(r.target, 'http://x').searchParams;
    const start = Number(query.get('cursor') ?? '0');
    const limit = Number(query.get('limit') ?? '2');
    const end = start + limit;
    return { status: 200, json: { data: deposits.slice(start, end), nextCursor: end < deposits.length ? String(end) : null } };
  });
  return new WalletClient({ baseUrl: gateway.baseUrl, keyId: 'key_test', secret: 's' });
}

describe('lists', () => {
  it('iterate every item across pages, following nextCursor', async () => {
    const client = await pagedClient();
    const ids: string[] = [];
    for await (const d of client.deposits.listByAccount('acc_1', { limit: 2 })) ids.push(d.id);
    expect(ids).toEqual(['d5', 'd4', 'd3', 'd2', 'd1']);
    expect(gateway.received.map((r) => r.target)).toEqual([
      '/v1/accounts/acc_1/deposits?limit=2',
      '/v1/accounts/acc_1/deposits?limit=2&cursor=2',
      '/v1/accounts/acc_1/deposits?limit=2&cursor=4',
    ]);
  });

  it('fetch no further page once the loop breaks', async () => {
    const client = await pagedClient();
    for await (const d of client.withdrawals.listByAccount('acc_1', { limit: 2 })) if (d.id === 'd4') break;
    expect(gateway.received).toHaveLength(1);
    expect(await client.ledger.list('acc_1', { limit: 2 }).toArray(3)).toHaveLength(3);
    expect(gateway.received).toHaveLength(3);
  });

  it('send the filters, and resume from a kept cursor', async () => {
    const client = await pagedClient();
    const first = await client.addresses.list('acc_1', { chain: 'eth', limit: 2 }).firstPage();
    expect(first).toEqual({ data: deposits.slice(0, 2), nextCursor: '2' });
    const rest = await client.addresses.list('acc_1', { chain: 'eth', limit: 2, cursor: first.nextCursor! }).toArray();
    expect(rest).toEqual(deposits.slice(2));
    expect(gateway.received.map((r) => r.target)).toEqual([
      '/v1/accounts/acc_1/addresses?chain=eth&limit=2',
      '/v1/accounts/acc_1/addresses?chain=eth&limit=2&cursor=2',
      '/v1/accounts/acc_1/addresses?chain=eth&limit=2&cursor=4',
    ]);
  });

  it('yield pages one by one', async () => {
    const client = await pagedClient();
    const sizes: number[] = [];
    for await (const page of client.deposits.listByAccount('acc_1', { limit: 3 }).pages()) sizes.push(page.data.length);
    expect(sizes).toEqual([3, 2]);
  });
});

describe('client-wide lists and look-ups', () => {
  it('send each filter, a Date as ISO-8601 UTC, in the order given', async () => {
    const client = await pagedClient();
    const since = new Date('2024-12-04T12:00:00.250Z');
    await client.deposits
      .list({ account: 'acc_1', status: 'credited', since, until: '2024-12-05T00:00:00Z', order: 'asc', limit: 2 })
      .firstPage();
    await client.withdrawals.list({ asset: 'ETH', reference: 'payout 7/1' }).firstPage();
    await client.transfers.list({ account: 'acc_2' }).firstPage();
    await client.accounts.list({ order: 'desc' }).firstPage();
    expect(gateway.received.map((r) => r.target)).toEqual([
      '/v1/deposits?account=acc_1&status=credited&since=2024-12-04T12%3A00%3A00.250Z&until=2024-12-05T00%3A00%3A00Z&order=asc&limit=2',
      '/v1/withdrawals?asset=ETH&reference=payout%207%2F1',
      '/v1/transfers?account=acc_2',
      '/v1/accounts?order=desc',
    ]);
  });

  it('find one object by externalId or reference, or null', async () => {
    gateway = await startTestGateway((r) => ({
      status: 200,
      json: { data: r.target.includes('none') ? [] : [{ id: 'x_1' }], nextCursor: null },
    }));
    const client = new WalletClient({ baseUrl: gateway.baseUrl, keyId: 'key_test', secret: 's' });
    expect(await client.accounts.findByExternalId('user+1')).toEqual({ id: 'x_1' });
    expect(await client.accounts.findByExternalId('none')).toBeNull();
    expect(await client.withdrawals.findByReference('wd-1')).toEqual({ id: 'x_1' });
    expect(await client.transfers.findByReference('none')).toBeNull();
    expect(gateway.received.map((r) => r.target)).toEqual([
      '/v1/accounts?externalId=user%2B1',
      '/v1/accounts?externalId=none',
      '/v1/withdrawals?reference=wd-1',
      '/v1/transfers?reference=none',
    ]);
  });
});

describe('PageIterator', () => {
  it('refuses a nextCursor that does not move instead of looping for ever', async () => {
    let calls = 0;
    const stuck = new PageIterator(async () => ({ data: [++calls], nextCursor: 'same' }), 'same');
    await expect(stuck.toArray()).rejects.toThrow('nextCursor');
    expect(calls).toBe(1);
  });

  it('reads an empty list with one request', async () => {
    const cursors: (string | undefined)[] = [];
    const empty = new PageIterator<number>(async (cursor) => {
      cursors.push(cursor);
      return { data: [], nextCursor: null };
    });
    expect(await empty.toArray()).toEqual([]);
    expect(await empty.toArray(0)).toEqual([]);
    expect(cursors).toEqual([undefined]);
  });
});
