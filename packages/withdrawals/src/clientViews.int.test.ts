import { createHash } from 'node:crypto';
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { type Db, withTransaction } from '@wallet/db';
import { encodeListCursor } from '@wallet/ids';
import { LedgerKind, SystemAccount, createTransfer, getBalances, postEntry } from '@wallet/ledger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientWithdrawalFilter, createWithdrawal, getWithdrawal, listClientWithdrawals } from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// A client's withdrawals on MariaDB: reference and metadata stored and shown, a reference unique per client (under
// concurrency, nothing frozen for the loser), and the client-wide list with every filter against a model, both ways.

const registry = AssetRegistry.parse(devRegistryInput);
const TO = '0x1111111111111111111111111111111111111111';
// BIP173's P2WPKH example on regtest
const TO_BTC = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

let db: Db;
let drop: () => Promise<void>;
let seq = 0;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db('transrv_nodes').insert([{ node_id: 't1' }, { node_id: 't2' }]);
  await db('clients').insert([
    { id: 'c1', name: 'one', key_id: 'k1', secret: 's' },
    { id: 'c2', name: 'two', key_id: 'k2', secret: 's' },
  ]);
  await db('accounts').insert([
    { id: 'acc_a', client_id: 'c1', external_id: 'a', node_id: 't1' },
    { id: 'acc_b', client_id: 'c1', external_id: 'b', node_id: 't2' },
    { id: 'acc_c', client_id: 'c2', external_id: 'c', node_id: 't1' },
  ]);
  for (const account of ['acc_a', 'acc_b', 'acc_c']) {
    for (const asset of ['ETH', 'BTC']) {
      await withTransaction(db, (trx) =>
        postEntry(trx, {
          entryId: `fund-${account}-${asset}`,
          nodeId: 't1',
          refId: `fund-${account}-${asset}`,
          lines: [
            { accountId: SystemAccount.chainInflow('eth'), asset, bucket: 'available', amount: -(10n ** 21n), kind: LedgerKind.deposit },
            { accountId: account, asset, bucket: 'available', amount: 10n ** 21n, kind: LedgerKind.deposit },
          ],
        }),
      );
    }
  }
});
afterAll(async () => drop?.());

const hash = (s: string) => createHash('sha256').update(s).digest('hex');
function withdraw(
  clientId: string,
  accountId: string,
  extra: { reference?: string; metadata?: Record<string, string>; key?: string; asset?: string } = {},
) {
  const key = extra.key ?? `k${++seq}`;
  return createWithdrawal(db, 't1', registry, {
    clientId,
    idempotencyKey: key,
    requestHash: hash(`${accountId}|${extra.reference ?? ''}|${key}`),
    accountId,
    asset: extra.asset ?? 'ETH',
    to: extra.asset === 'BTC' ? TO_BTC : TO,
    amount: 10n ** 16n,
    reference: extra.reference,
    metadata: extra.metadata,
  });
}

const frozen = async (accountId: string) => (await getBalances(db, accountId, ['ETH']))[0]!.frozen;
const count = async (table: string) => Number((await db(table).count<{ n: string }[]>({ n: '*' }))[0]!.n);

describe('references and metadata of withdrawals', () => {
  it('stores and shows them; none is null and {}', async () => {
    const { withdrawal } = await withdraw('c1', 'acc_a', { reference: 'W-1', metadata: { invoice: '17', ключ: 'значение 😀' } });
    expect(withdrawal).toMatchObject({ reference: 'W-1', metadata: { invoice: '17', ключ: 'значение 😀' } });
    expect(await getWithdrawal(db, withdrawal.id)).toMatchObject({ reference: 'W-1', metadata: { invoice: '17', ключ: 'значение 😀' } });
    const { withdrawal: plain } = await withdraw('c1', 'acc_a');
    expect(await getWithdrawal(db, plain.id)).toMatchObject({ reference: null, metadata: {} });
  });

  it('refuses a used reference with DUPLICATE_REFERENCE and freezes nothing; its key replays; a transfer and another client may use it', async () => {
    const { withdrawal: first } = await withdraw('c1', 'acc_a', { reference: 'W-dup', key: 'first-key' });
    const before = { frozen: await frozen('acc_b'), outbox: await count('withdrawal_outbox'), events: await count('withdrawal_events') };
    await expect(withdraw('c1', 'acc_b', { reference: 'W-dup' })).rejects.toMatchObject({
      code: 'DUPLICATE_REFERENCE',
      details: { reference: 'W-dup', id: first.id },
    });
    expect({ frozen: await frozen('acc_b'), outbox: await count('withdrawal_outbox'), events: await count('withdrawal_events') }).toEqual(
      before,
    );
    expect(await withdraw('c1', 'acc_a', { reference: 'W-dup', key: 'first-key' })).toMatchObject({
      created: false,
      withdrawal: { id: first.id },
    });
    // another request under the first one's key is still IDEMPOTENCY_KEY_REUSED, not a reference refusal
    await expect(withdraw('c1', 'acc_b', { reference: 'W-dup', key: 'first-key' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    // one namespace per kind: a transfer of the client may carry it
    const t = await createTransfer(db, 't1', {
      clientId: 'c1',
      idempotencyKey: 'tr-key',
      requestHash: hash('tr'),
      fromAccountId: 'acc_a',
      toAccountId: 'acc_b',
      toNodeId: 't1',
      asset: 'ETH',
      amount: 1n,
      reference: 'W-dup',
    });
    expect(t.created).toBe(true);
    expect((await withdraw('c2', 'acc_c', { reference: 'W-dup' })).created).toBe(true);
  });

  it('of 20 concurrent requests with one reference exactly one freezes; the others name it', async () => {
    const before = await frozen('acc_b');
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => withdraw('c1', 'acc_b', { reference: 'W-race' })));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.withdrawal] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toMatchObject({ code: 'DUPLICATE_REFERENCE', details: { reference: 'W-race', id: won[0]!.id } });
      }
    }
    expect((await frozen('acc_b')) - before).toBe(won[0]!.amount + won[0]!.fee);
  });
});

describe('listClientWithdrawals', () => {
  type Row = { id: string; accountId: string; asset: string; status: string; reference: string | null; createdAt: number };
  let model: Row[];

  beforeAll(async () => {
    const statuses = ['pending_review', 'approved', 'confirmed', 'rejected', 'cancelled'];
    for (let i = 0; i < 40; i++) {
      const { withdrawal } = await withdraw(i % 4 === 3 ? 'c2' : 'c1', i % 4 === 3 ? 'acc_c' : i % 2 ? 'acc_b' : 'acc_a', {
        asset: i % 3 ? 'ETH' : 'BTC',
        ...(i % 5 === 0 ? { reference: `L-${i}` } : {}),
      });
      // spread in time, two per millisecond, and give them statuses (as the pipeline would have)
      await db('withdrawals')
        .where({ id: withdrawal.id })
        .update({ status: statuses[i % 5], created_at: new Date(T0 + Math.floor(i / 2) * 1000) });
    }
    const rows = (await db('withdrawals').where({ client_id: 'c1' })) as {
      id: string;
      account_id: string;
      asset: string;
      status: string;
      reference: string | null;
      created_at: Date;
    }[];
    model = rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      asset: r.asset,
      status: r.status,
      reference: r.reference,
      createdAt: r.created_at.getTime(),
    }));
  });

  const cases: [string, ClientWithdrawalFilter][] = [
    ['none', {}],
    ['an account', { accountId: 'acc_b' }],
    ['an asset', { asset: 'BTC' }],
    ['a status', { status: 'confirmed' }],
    ['an asset and a status', { asset: 'ETH', status: 'pending_review' }],
    ['an account and an asset', { accountId: 'acc_a', asset: 'BTC' }],
    ['an account and a status', { accountId: 'acc_a', status: 'rejected' }],
    ['a reference', { reference: 'L-10' }],
    ['another client’s reference', { reference: 'L-3' }],
    ['since and until', { since: new Date(T0 + 4000), until: new Date(T0 + 12_000) }],
  ];

  it.each(cases)('pages %s in both orders as the model says', async (_what, f) => {
    for (const order of ['desc', 'asc'] as const) {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await listClientWithdrawals(db, 'c1', { ...f, order, limit: 3, cursor });
        ids.push(...page.withdrawals.map((w) => w.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      const want = model
        .filter(
          (w) =>
            (f.accountId === undefined || w.accountId === f.accountId) &&
            (f.asset === undefined || w.asset === f.asset) &&
            (f.status === undefined || w.status === f.status) &&
            (f.reference === undefined || w.reference === f.reference) &&
            (f.since === undefined || w.createdAt >= f.since.getTime()) &&
            (f.until === undefined || w.createdAt < f.until.getTime()),
        )
        .sort((a, b) => (a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)) * (order === 'asc' ? 1 : -1))
        .map((w) => w.id);
      expect(ids, order).toEqual(want);
    }
  });

  it('reads each filter by its index, in order, never sorting', async () => {
    const cases: [ClientWithdrawalFilter, string][] = [
      [{}, 'withdrawals_client_created'],
      [{ status: 'confirmed' }, 'withdrawals_client_status'],
      [{ asset: 'BTC' }, 'withdrawals_client_asset'],
      [{ asset: 'BTC', status: 'confirmed' }, 'withdrawals_client_asset_status'],
      [{ accountId: 'acc_a' }, 'withdrawals_account_created'],
      [{ accountId: 'acc_a', asset: 'ETH' }, 'withdrawals_velocity_account'],
      [{ accountId: 'acc_a', status: 'rejected' }, 'withdrawals_account_status'],
    ];
    for (const [filter, index] of cases) {
      const queries: { sql: string; bindings: unknown[] }[] = [];
      const listener = (q: { sql: string; bindings: unknown[] }) => queries.push(q);
      db.on('query', listener);
      const cursor = encodeListCursor('wd', 'asc', { createdAt: new Date(T0 + 3000), id: 'wd_0' });
      await listClientWithdrawals(db, 'c1', { ...filter, order: 'asc', limit: 5, cursor }).finally(() => db.off('query', listener));
      const read = queries.find((q) => q.sql.includes('from `withdrawals`'))!;
      const [[plan]] = (await db.raw(`EXPLAIN ${read.sql}`, read.bindings as never)) as [{ key: string; Extra: string | null }[]];
      expect(plan!.key, JSON.stringify(filter)).toBe(index);
      expect(plan!.Extra ?? '').not.toMatch(/filesort|temporary/i);
    }
  });

  it('refuses a cursor of the other order or another list', async () => {
    const { nextCursor } = await listClientWithdrawals(db, 'c1', { order: 'asc', limit: 1 });
    await expect(listClientWithdrawals(db, 'c1', { order: 'desc', limit: 1, cursor: nextCursor! })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const depositCursor = encodeListCursor('dep', 'asc', { createdAt: new Date(T0), id: 'dep_1' });
    await expect(listClientWithdrawals(db, 'c1', { order: 'asc', limit: 1, cursor: depositCursor })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});
