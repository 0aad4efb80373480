import { createClient as createWalletClient } from '@wallet/accounts';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type Db, type Knex } from '@wallet/db';
import { createTestDatabase } from '@wallet/testkit';
import { randomBytes } from 'node:crypto';
import { createLogger } from '@wallet/logger';
import { SecretBox } from '@wallet/secret-box';
import { AccountServiceService } from '@wallet/proto';
import type { ShardClients } from '@wallet/routing';
import { type PromiseClient, createClient } from '@wallet/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { payoutChains } from '@wallet/chains';

// accountsrv's gRPC server in-process on a real MariaDB: the accounts list (paging, order, lookup by external id, one
// client's accounts only, served from its index) and what it reports of the chains it serves.

const registry = AssetRegistry.parse(devRegistryInput);
const secrets = SecretBox.fromKeks([randomBytes(32)]);
let db: Db;
let drop: () => Promise<void>;
let client: PromiseClient<typeof AccountServiceService>;
let close: () => Promise<void>;
let alice: string;
let bob: string;
const aliceAccounts: string[] = [];

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db('transrv_nodes').insert({ node_id: 't1' });
  const server = buildApp({
    instanceId: 'acc-test',
    startedAt: new Date(),
    db,
    log: createLogger('accountsrv-test', { level: 'silent' }),
    secrets,
    registry,
    shards: { liveNodes: () => ['t1'], instances: () => [] } as unknown as ShardClients,
    derive: (chain, index) => ({ address: `${chain}-address-${index}`, path: `m/0/${index}` }),
    // The local stack's shape: a node for eth only (WALLET_CHAIN_RPC's default).
    scannedChains: new Set(['eth']),
    payoutChains: payoutChains(registry, ['eth']),
  });
  const address = await server.listen('127.0.0.1:0', undefined);
  client = createClient(AccountServiceService, address);
  close = async () => {
    client.close();
    await server.close(100);
  };
  alice = (await createWalletClient(db, secrets, 'Alice Exchange')).client.id;
  bob = (await createWalletClient(db, secrets, 'Bob Exchange')).client.id;
  for (let i = 0; i < 7; i++) {
    const { account } = await client.createAccount({ clientId: alice, externalId: `user-${i}`, idempotencyKey: '' });
    aliceAccounts.push(account!.id);
    await client.createAccount({ clientId: bob, externalId: `user-${i}`, idempotencyKey: '' });
  }
});

afterAll(async () => {
  await close?.();
  await drop?.();
});

const list = (req: { clientId?: string; externalId?: string; order?: string; limit?: number; cursor?: string }) =>
  client.listAccounts({
    clientId: req.clientId ?? alice,
    externalId: req.externalId ?? '',
    order: req.order ?? '',
    page: { limit: req.limit ?? 0, cursor: req.cursor ?? '' },
  });

/** Every page of a list, following nextCursor. */
async function allPages(req: { clientId?: string; order?: string; limit: number }): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor = '';
  do {
    const page = await list({ ...req, cursor });
    pages.push(page.accounts.map((a) => a.id));
    cursor = page.page?.nextCursor ?? '';
  } while (cursor !== '' && pages.length < 20);
  return pages;
}

describe('ListAccounts', () => {
  it("pages a client's accounts newest first, and oldest first with order asc, each exactly once", async () => {
    const newestFirst = [...aliceAccounts].reverse();
    expect(await allPages({ limit: 3 })).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6)]);
    expect(await allPages({ order: 'desc', limit: 7 })).toEqual([newestFirst]);
    expect(await allPages({ order: 'asc', limit: 4 })).toEqual([aliceAccounts.slice(0, 4), aliceAccounts.slice(4)]);
    const first = (await list({ limit: 0 })).accounts;
    expect(first.map((a) => a.id)).toEqual(newestFirst);
    expect(first[0]).toMatchObject({ clientId: alice, externalId: 'user-6', nodeId: 't1' });
  });

  it("never shows another client's accounts", async () => {
    const bobs = (await list({ clientId: bob, limit: 200 })).accounts;
    expect(bobs).toHaveLength(7);
    expect(bobs.every((a) => a.clientId === bob && !aliceAccounts.includes(a.id))).toBe(true);
  });

  it('breaks ties of one millisecond by id, in both orders', async () => {
    const carol = (await createWalletClient(db, secrets, 'Carol Exchange')).client.id;
    const at = new Date('2026-01-01T00:00:00.000Z');
    const ids = ['acc_0TIE1', 'acc_0TIE2', 'acc_0TIE3'];
    await db('accounts').insert(ids.map((id, i) => ({ id, client_id: carol, external_id: `tie-${i}`, node_id: 't1', created_at: at })));
    expect(await allPages({ clientId: carol, limit: 2 })).toEqual([['acc_0TIE3', 'acc_0TIE2'], ['acc_0TIE1']]);
    expect(await allPages({ clientId: carol, order: 'asc', limit: 1 })).toEqual([['acc_0TIE1'], ['acc_0TIE2'], ['acc_0TIE3']]);
  });

  it('finds one account by external id, byte for byte, and only the client’s own', async () => {
    const found = await list({ externalId: 'user-3' });
    expect(found.accounts.map((a) => a.id)).toEqual([aliceAccounts[3]]);
    expect(found.page?.nextCursor).toBe('');
    for (const other of ['USER-3', 'user-30', 'user-', 'User-3']) expect((await list({ externalId: other })).accounts).toEqual([]);
    expect((await list({ clientId: bob, externalId: 'user-3' })).accounts[0]?.id).not.toBe(aliceAccounts[3]);
  });

  it.each([
    ['a cursor of the other order', async () => (await list({ limit: 2 })).page!.nextCursor, 'asc'],
    ['a cursor of another list', async () => Buffer.from('c1:dep:desc:1:dep_1').toString('base64url'), 'desc'],
    ['a made-up cursor', async () => 'bm90LWEtY3Vyc29y', 'desc'],
  ])('refuses %s with VALIDATION_FAILED', async (_what, cursor, order) => {
    await expect(list({ cursor: await cursor(), order })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it.each([
    ['an unknown order', { order: 'newest' }],
    ['an external id with a space', { externalId: 'a b' }],
    ['a limit over 200', { limit: 201 }],
    ['no client', { clientId: '' }],
  ])('refuses %s with VALIDATION_FAILED', async (_what, req) => {
    await expect(list(req)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('reads a page from the index (client_id, created_at) in order, without sorting the client’s accounts', async () => {
    // Enough accounts for the optimizer to choose by cost, as it would in production.
    const many = (await createWalletClient(db, secrets, 'Big Exchange')).client.id;
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      id: `acc_BIG${String(i).padStart(5, '0')}`,
      client_id: i % 3 === 0 ? many : bob,
      external_id: `big-${i}`,
      node_id: 't1',
      created_at: new Date(Date.UTC(2026, 0, 1) + i * 1000),
    }));
    for (let i = 0; i < rows.length; i += 500) await db('accounts').insert(rows.slice(i, i + 500));
    await db.raw('ANALYZE TABLE accounts');
    const first = await list({ clientId: many, limit: 50 });
    for (const [order, cursor] of [
      ['desc', ''],
      ['desc', first.page!.nextCursor],
      ['asc', ''],
    ] as const) {
      const plans = await explainQueries(db, () => list({ clientId: many, order, limit: 50, cursor }));
      expect(plans).toHaveLength(1);
      expect(plans[0]).toMatchObject({ key: 'accounts_client_created' });
      expect(String(plans[0]!.Extra)).not.toMatch(/filesort/i);
    }
  });
});

describe('GetServedChains', () => {
  it('reports each registry chain: deposits where a scanner watches it, withdrawals where transrv pays', async () => {
    const { chains } = await client.getServedChains({});
    expect(chains).toEqual([
      { chain: 'eth', deposits: true, withdrawals: true },
      { chain: 'btc', deposits: false, withdrawals: false },
      { chain: 'ltc', deposits: false, withdrawals: false },
    ]);
  });

  it('issues addresses exactly on the chains it reports deposits for', async () => {
    const { chains } = await client.getServedChains({});
    for (const { chain, deposits } of chains) {
      const issued = client.createAddress({ clientId: alice, accountId: aliceAccounts[0]!, chain, idempotencyKey: '' });
      if (deposits) await expect(issued).resolves.toMatchObject({ chain });
      else await expect(issued).rejects.toMatchObject({ code: 'UNSUPPORTED_CHAIN', details: { reason: 'not_scanned' } });
    }
  });
});

/** The EXPLAIN of each SELECT on accounts that `run` sends, one row per query (a single-table plan has one). */
async function explainQueries(db: Db, run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const sent: { sql: string; bindings: readonly Knex.Value[] }[] = [];
  const onQuery = (q: { sql: string; bindings?: readonly Knex.Value[] }) => {
    if (/^select .* from `accounts`/i.test(q.sql)) sent.push({ sql: q.sql, bindings: q.bindings ?? [] });
  };
  db.on('query', onQuery);
  try {
    await run();
  } finally {
    db.off('query', onQuery);
  }
  const plans: Record<string, unknown>[] = [];
  for (const q of sent) {
    const [rows] = (await db.raw(`EXPLAIN ${q.sql}`, q.bindings)) as [Record<string, unknown>[]];
    plans.push(...rows);
  }
  return plans;
}
