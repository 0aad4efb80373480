import { createHash, randomBytes } from 'node:crypto';
import { type Db, withTransaction } from '@wallet/db';
import { encodeCursor, encodeListCursor } from '@wallet/ids';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientDepositFilter,
  type ClientTransferFilter,
  LedgerKind,
  SystemAccount,
  createTransfer,
  getBalances,
  getClientTransfer,
  listClientDeposits,
  listClientTransfers,
  postEntry,
  recordInternalTransfer,
} from './index.js';
import { createTestDatabase } from '@wallet/testkit';

// The client-wide views on MariaDB: a client's deposits and transfers over all its accounts, in (createdAt, id)
// order both ways, every filter against a model of the rows, pages across concurrent inserts, bad cursors, and a
// transfer's reference unique per client under concurrency.

let db: Db;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  await db('transrv_nodes').insert([{ node_id: 't1' }, { node_id: 't2' }]);
  await db('clients').insert([
    { id: 'cA', name: 'A', key_id: 'kA', secret: 's' },
    { id: 'cB', name: 'B', key_id: 'kB', secret: 's' },
  ]);
  await db('accounts').insert([
    { id: 'accA1', client_id: 'cA', external_id: 'a1', node_id: 't1' },
    { id: 'accA2', client_id: 'cA', external_id: 'a2', node_id: 't2' },
    { id: 'accA3', client_id: 'cA', external_id: 'a3', node_id: 't1' },
    { id: 'accB1', client_id: 'cB', external_id: 'b1', node_id: 't1' },
    { id: 'accB2', client_id: 'cB', external_id: 'b2', node_id: 't2' },
  ]);
  await db('chain_blocks').insert(['eth', 'btc', 'ltc'].map((chain) => ({ chain, number: 120, hash: '0xh', parent_hash: '0xp' })));
});
afterAll(async () => drop?.());

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
let seq = 0;
/** A ULID-like id that sorts with `seq` (ids only break ties within one millisecond). */
const nextId = (prefix: string) => `${prefix}_${String(++seq).padStart(8, '0')}${randomBytes(4).toString('hex').toUpperCase()}`;

type DepositModel = { id: string; clientId: string; accountId: string; asset: string; status: string; createdAt: number };

async function insertDeposits(rows: Omit<DepositModel, 'id'>[]): Promise<DepositModel[]> {
  const made = rows.map((r) => ({ ...r, id: nextId('dep') }));
  await db('deposits').insert(
    made.map((r) => ({
      id: r.id,
      chain: r.asset === 'ETH' ? 'eth' : r.asset.toLowerCase(),
      txid: `0x${randomBytes(32).toString('hex')}`,
      output_index: -1,
      asset: r.asset,
      address: '0xaddr',
      account_id: r.accountId,
      client_id: r.clientId,
      node_id: 't1',
      amount: '5',
      block_number: 100,
      block_hash: '0xb',
      status: r.status,
      created_at: new Date(r.createdAt),
    })),
  );
  return made;
}

/**
 * The plan of each read of `table` that `run` makes: the index MariaDB reads and whether it sorts. Rows are few here,
 * so only the forced index keeps the plan from a full scan and a sort; the benchmark shows the same on 100k rows.
 */
async function plans(table: string, run: () => Promise<unknown>): Promise<{ key: string | null; type: string; extra: string }[]> {
  const queries: { sql: string; bindings: unknown[] }[] = [];
  const listener = (q: { sql: string; bindings: unknown[] }) => queries.push(q);
  db.on('query', listener);
  try {
    await run();
  } finally {
    db.off('query', listener);
  }
  const out = [];
  for (const q of queries.filter((q) => q.sql.includes(`from \`${table}\``))) {
    const [rows] = (await db.raw(`EXPLAIN ${q.sql}`, q.bindings as never)) as [
      { key: string | null; type: string; Extra: string | null }[],
    ];
    out.push({ key: rows[0]!.key, type: rows[0]!.type, extra: rows[0]!.Extra ?? '' });
  }
  return out;
}

/** Every row of a list, page by page, and the pages' sizes. */
async function walk<T extends { id: string }>(
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 1; ; pages++) {
    const p = await page(cursor);
    ids.push(...p.items.map((i) => i.id));
    if (p.nextCursor === null) return { ids, pages };
    expect(p.items.length).toBeGreaterThan(0);
    cursor = p.nextCursor;
  }
}

const byCreated = (order: 'desc' | 'asc') => (a: { id: string; createdAt: number }, b: { id: string; createdAt: number }) => {
  const c = a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return order === 'asc' ? c : -c;
};

describe('listClientDeposits', () => {
  let model: DepositModel[];
  const assets = ['ETH', 'BTC', 'LTC'];
  const statuses = ['pending', 'credited', 'orphaned', 'reversed', 'reversal_pending'];

  beforeAll(async () => {
    const rows: Omit<DepositModel, 'id'>[] = [];
    for (let i = 0; i < 90; i++) {
      rows.push({
        clientId: i % 5 === 4 ? 'cB' : 'cA',
        accountId: i % 5 === 4 ? 'accB1' : `accA${(i % 3) + 1}`,
        asset: assets[i % 3]!,
        status: statuses[(i * 7) % 5]!,
        // groups of three in one millisecond: the id decides within each
        createdAt: T0 + Math.floor(i / 3) * 1000,
      });
    }
    model = await insertDeposits(rows);
  });

  const expected = (f: ClientDepositFilter, order: 'desc' | 'asc') =>
    model
      .filter(
        (d) =>
          d.clientId === 'cA' &&
          (f.accountId === undefined || d.accountId === f.accountId) &&
          (f.asset === undefined || d.asset === f.asset) &&
          (f.status === undefined || (f.status === 'credited' ? ['credited', 'reversal_pending'] : [f.status]).includes(d.status)) &&
          (f.since === undefined || d.createdAt >= f.since.getTime()) &&
          (f.until === undefined || d.createdAt < f.until.getTime()),
      )
      .sort(byCreated(order))
      .map((d) => d.id);

  const filters: [string, ClientDepositFilter][] = [
    ['none', {}],
    ['an account', { accountId: 'accA2' }],
    ['an asset', { asset: 'BTC' }],
    ['credited (with a reversal not yet posted)', { status: 'credited' }],
    ['orphaned', { status: 'orphaned' }],
    ['an asset and a status', { asset: 'ETH', status: 'pending' }],
    ['an account and an asset', { accountId: 'accA1', asset: 'LTC' }],
    ['an account and a status', { accountId: 'accA3', status: 'credited' }],
    // bounds that fall on rows: since includes its millisecond, until excludes its own
    ['since and until', { since: new Date(T0 + 5000), until: new Date(T0 + 20_000) }],
    ['since, until, status and asset', { since: new Date(T0 + 3000), until: new Date(T0 + 25_000), status: 'credited', asset: 'ETH' }],
    ['another client’s account', { accountId: 'accB1' }],
  ];

  it.each(filters)('pages %s in both orders, every row once, as the model says', async (_what, filter) => {
    for (const order of ['desc', 'asc'] as const) {
      for (const limit of [1, 4, 200]) {
        const { ids, pages } = await walk(async (cursor) => {
          const p = await listClientDeposits(db, 'cA', { ...filter, order, limit, cursor });
          return { items: p.deposits, nextCursor: p.nextCursor };
        });
        const want = expected(filter, order);
        expect(ids, `${order} limit ${limit}`).toEqual(want);
        if (limit === 1) expect(pages).toBe(Math.max(1, want.length));
      }
    }
  });

  it.each([
    [{}, 'deposits_client_created'],
    [{ status: 'pending' }, 'deposits_client_status'],
    [{ asset: 'BTC' }, 'deposits_client_asset'],
    [{ asset: 'BTC', status: 'credited' }, 'deposits_client_asset_status'],
    [{ accountId: 'accA1' }, 'deposits_account_created'],
    [{ accountId: 'accA1', asset: 'ETH' }, 'deposits_account_recent'],
    [{ accountId: 'accA1', status: 'pending' }, 'deposits_account_status'],
    [{ since: new Date(T0), until: new Date(T0 + 9000), status: 'orphaned' }, 'deposits_client_status'],
  ] as [ClientDepositFilter, string][])('reads %j by %s in order, first page and after a cursor, never sorting', async (filter, index) => {
    for (const order of ['desc', 'asc'] as const) {
      const cursor = encodeListCursor('dep', order, { createdAt: new Date(T0 + 5000), id: 'dep_00000015' });
      for (const page of [undefined, cursor]) {
        const read = await plans('deposits', () => listClientDeposits(db, 'cA', { ...filter, order, limit: 5, cursor: page }));
        expect(read.length).toBeGreaterThan(0);
        for (const p of read) {
          expect(p.key).toBe(index);
          expect(p.extra).not.toMatch(/filesort|temporary/i);
        }
      }
    }
  });

  it('shows a reversal not yet posted as credited, and counts confirmations to the scanned head', async () => {
    const { deposits } = await listClientDeposits(db, 'cA', { order: 'desc', limit: 200 });
    const pendingReversal = model.find((d) => d.clientId === 'cA' && d.status === 'reversal_pending')!;
    expect(deposits.find((d) => d.id === pendingReversal.id)).toMatchObject({ status: 'credited', confirmations: 21 });
    const orphaned = model.find((d) => d.clientId === 'cA' && d.status === 'orphaned')!;
    expect(deposits.find((d) => d.id === orphaned.id)).toMatchObject({ status: 'orphaned', confirmations: 0 });
    expect(deposits.every((d) => typeof d.amount === 'bigint' && d.createdAt instanceof Date)).toBe(true);
  });

  it('pages stay whole while deposits arrive: newest first never repeats nor skips, oldest first picks them up at the end', async () => {
    const before = expected({ accountId: 'accA1' }, 'desc');
    const seen: string[] = [];
    const arrived: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const p = await listClientDeposits(db, 'cA', { accountId: 'accA1', order: 'desc', limit: 5, cursor });
      seen.push(...p.deposits.map((d) => d.id));
      // Between pages: a new deposit now, and one in the same millisecond as the last row shown (an id after it).
      const last = p.deposits[p.deposits.length - 1]!;
      const made = await insertDeposits([
        { clientId: 'cA', accountId: 'accA1', asset: 'ETH', status: 'pending', createdAt: Date.now() },
        { clientId: 'cA', accountId: 'accA1', asset: 'ETH', status: 'pending', createdAt: last.createdAt.getTime() },
      ]);
      model.push(...made);
      arrived.push(...made.map((m) => m.id));
      if (p.nextCursor === null) break;
      cursor = p.nextCursor;
    }
    // Every row there when paging began, once and in order; the newer ones sort before the cursor and are not shown.
    expect(seen).toEqual(before);

    // Oldest first: rows committed ahead of the cursor show on later pages.
    const ascSeen: string[] = [];
    cursor = undefined;
    let added = false;
    for (;;) {
      const p = await listClientDeposits(db, 'cA', { accountId: 'accA1', order: 'asc', limit: 7, cursor });
      ascSeen.push(...p.deposits.map((d) => d.id));
      if (!added) {
        const made = await insertDeposits([{ clientId: 'cA', accountId: 'accA1', asset: 'BTC', status: 'pending', createdAt: Date.now() }]);
        model.push(...made);
        arrived.push(made[0]!.id);
        added = true;
      }
      if (p.nextCursor === null) break;
      cursor = p.nextCursor;
    }
    expect(ascSeen).toEqual(expected({ accountId: 'accA1' }, 'asc'));
    expect(ascSeen).toContain(arrived[arrived.length - 1]);
  });

  it('refuses a cursor of the other order, of another list, or tampered', async () => {
    const { nextCursor } = await listClientDeposits(db, 'cA', { order: 'desc', limit: 2 });
    expect(nextCursor).not.toBeNull();
    const bad = [
      ['the other order', nextCursor!, 'asc'],
      ['a transfers cursor', encodeListCursor('tr', 'desc', { createdAt: new Date(T0), id: 'tr_1' }), 'desc'],
      ['an account list cursor', encodeCursor('dep_01JD3Q7Z8X9V2M4N6P8R0T2W4Y'), 'desc'],
      ['one with its time replaced', encodeCursor('dep:desc:yesterday:dep_1'), 'desc'],
      ['a SQL fragment', encodeCursor("dep:desc:1:' OR 1=1"), 'desc'],
    ] as const;
    for (const [what, cursor, order] of bad) {
      await expect(listClientDeposits(db, 'cA', { order, limit: 2, cursor }), what).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});

describe('transfers: client-wide list, by id, references', () => {
  const hash = (s: string) => createHash('sha256').update(s).digest('hex');
  let keys = 0;
  const transfer = (
    clientId: string,
    from: string,
    to: string,
    extra: { reference?: string; metadata?: Record<string, string>; key?: string } = {},
  ) => {
    const key = extra.key ?? `k${++keys}`;
    return createTransfer(db, 't1', {
      clientId,
      idempotencyKey: key,
      requestHash: hash(`${from}|${to}|${extra.reference ?? ''}|${key}`),
      fromAccountId: from,
      toAccountId: to,
      toNodeId: 't1',
      asset: 'ETH',
      amount: 10n,
      reference: extra.reference,
      metadata: extra.metadata,
    });
  };

  beforeAll(async () => {
    for (const account of ['accA1', 'accA2', 'accA3', 'accB1', 'accB2']) {
      await withTransaction(db, (trx) =>
        postEntry(trx, {
          entryId: `fund-${account}`,
          nodeId: 't1',
          refId: `fund-${account}`,
          lines: [
            { accountId: SystemAccount.chainInflow('eth'), asset: 'ETH', bucket: 'available', amount: -100_000n, kind: LedgerKind.deposit },
            { accountId: account, asset: 'ETH', bucket: 'available', amount: 100_000n, kind: LedgerKind.deposit },
          ],
        }),
      );
    }
  });

  it('stores reference and metadata and shows them; none is null and {}', async () => {
    const { transfer: t } = await transfer('cA', 'accA1', 'accA2', { reference: 'Ref-1', metadata: { order: 'o-1', 'note ü': '€' } });
    expect(t).toMatchObject({ reference: 'Ref-1', metadata: { order: 'o-1', 'note ü': '€' } });
    expect(await getClientTransfer(db, 'cA', t.id)).toMatchObject({ reference: 'Ref-1', metadata: { order: 'o-1', 'note ü': '€' } });
    const { transfer: plain } = await transfer('cA', 'accA1', 'accA2');
    expect(await getClientTransfer(db, 'cA', plain.id)).toMatchObject({ reference: null, metadata: {} });
    const { transfer: empty } = await transfer('cA', 'accA1', 'accA2', { metadata: {} });
    expect((await db('transfers').where({ id: empty.id }).first<{ metadata: string | null }>('metadata'))?.metadata).toBeNull();
    // another client's transfer is not found
    expect(await getClientTransfer(db, 'cB', t.id)).toBeUndefined();
  });

  it('refuses a reference the client already used, moving nothing; another client, a retry of the same key and a byte-different one are fine', async () => {
    const { transfer: first } = await transfer('cA', 'accA1', 'accA3', { reference: 'dup-1', key: 'dup-key' });
    const [before] = await getBalances(db, 'accA1', ['ETH']);
    await expect(transfer('cA', 'accA2', 'accA3', { reference: 'dup-1' })).rejects.toMatchObject({
      code: 'DUPLICATE_REFERENCE',
      details: { reference: 'dup-1', id: first.id },
    });
    const [after] = await getBalances(db, 'accA1', ['ETH']);
    expect(after).toEqual(before);
    // the same request again under its key: the original, not a refusal
    const again = await transfer('cA', 'accA1', 'accA3', { reference: 'dup-1', key: 'dup-key' });
    expect(again).toMatchObject({ created: false, transfer: { id: first.id } });
    // references are per client, and byte-exact
    expect((await transfer('cB', 'accB1', 'accB2', { reference: 'dup-1' })).created).toBe(true);
    expect((await transfer('cA', 'accA1', 'accA3', { reference: 'DUP-1' })).created).toBe(true);
  });

  it('of 20 concurrent requests with one reference exactly one debits; the others name it', async () => {
    const [before] = await getBalances(db, 'accA2', ['ETH']);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => transfer('cA', 'accA2', 'accA3', { reference: 'race-1' })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof transfer>>>).value.transfer;
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(r.reason).toMatchObject({
        code: 'DUPLICATE_REFERENCE',
        details: { reference: 'race-1', id: winner.id },
      });
    }
    const [after] = await getBalances(db, 'accA2', ['ETH']);
    expect(before!.available - after!.available).toBe(10n);
    const rows = await db('transfers').where({ client_id: 'cA', reference: 'race-1' }).select('id');
    expect(rows).toEqual([{ id: winner.id }]);
  });

  it('lists a client’s transfers both ways, an account on either side, by reference, asset and status; never a withdrawal’s carrier', async () => {
    // an internal withdrawal's credit on its way to another node: not one of the client's transfers
    const carrier = await withTransaction(db, (trx) =>
      recordInternalTransfer(trx, 't1', {
        withdrawalId: 'wd_carrier',
        clientId: 'cA',
        fromAccountId: 'accA1',
        toAccountId: 'accB2',
        toNodeId: 't2',
        asset: 'ETH',
        amount: 1n,
      }),
    );
    const all = (await db('transfers').where({ client_id: 'cA' }).whereNull('withdrawal_id')) as {
      id: string;
      from_account_id: string;
      to_account_id: string;
      asset: string;
      status: string;
      reference: string | null;
      created_at: Date;
    }[];
    const model = all.map((t) => ({ ...t, createdAt: t.created_at.getTime() }));
    const cases: [string, ClientTransferFilter, (t: (typeof model)[number]) => boolean][] = [
      ['none', {}, () => true],
      ['accA3 on either side', { accountId: 'accA3' }, (t) => t.from_account_id === 'accA3' || t.to_account_id === 'accA3'],
      ['accA1 on either side', { accountId: 'accA1' }, (t) => t.from_account_id === 'accA1' || t.to_account_id === 'accA1'],
      ['a reference', { reference: 'dup-1' }, (t) => t.reference === 'dup-1'],
      ['a reference and an account it does not have', { reference: 'dup-1', accountId: 'accA2' }, () => false],
      ['completed ETH', { asset: 'ETH', status: 'completed' }, (t) => t.asset === 'ETH' && t.status === 'completed'],
      ['pending credit', { status: 'pending_credit' }, (t) => t.status === 'pending_credit'],
    ];
    for (const [what, filter, keep] of cases) {
      for (const order of ['desc', 'asc'] as const) {
        const { ids } = await walk(async (cursor) => {
          const p = await listClientTransfers(db, 'cA', { ...filter, order, limit: 2, cursor });
          return { items: p.transfers, nextCursor: p.nextCursor };
        });
        expect(ids, `${what} ${order}`).toEqual(
          model
            .filter(keep)
            .sort(byCreated(order))
            .map((t) => t.id),
        );
        expect(ids).not.toContain(carrier.id);
      }
    }
    expect(await getClientTransfer(db, 'cA', carrier.id)).toBeUndefined();
    // each read by its own index, never a sort: an account's two sides by their own
    const expectedIndex: [ClientTransferFilter, string[]][] = [
      [{}, ['transfers_client_created']],
      [{ status: 'completed' }, ['transfers_client_status']],
      [{ asset: 'ETH' }, ['transfers_client_asset']],
      [{ asset: 'ETH', status: 'completed' }, ['transfers_client_asset_status']],
      [{ accountId: 'accA1' }, ['transfers_from_created', 'transfers_to_created']],
      [{ accountId: 'accA1', asset: 'ETH' }, ['transfers_from_created', 'transfers_to_created']],
      [{ reference: 'dup-1' }, ['transfers_client_reference']],
    ];
    for (const [filter, indexes] of expectedIndex) {
      const cursor = encodeListCursor('tr', 'desc', { createdAt: new Date(), id: 'tr_z' });
      const read = await plans('transfers', () => listClientTransfers(db, 'cA', { ...filter, order: 'desc', limit: 5, cursor }));
      expect(read.map((p) => p.key).sort(), JSON.stringify(filter)).toEqual(indexes);
      // a reference names one row: MariaDB reads it as a constant
      for (const p of read) expect(p.extra).not.toMatch(/filesort|temporary/i);
    }
    const { transfers: bs } = await listClientTransfers(db, 'cB', { order: 'desc', limit: 50 });
    expect(bs.every((t) => t.clientId === 'cB')).toBe(true);
    await expect(
      listClientTransfers(db, 'cA', {
        order: 'desc',
        limit: 2,
        cursor: encodeListCursor('dep', 'desc', { createdAt: new Date(), id: 'dep_1' }),
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
