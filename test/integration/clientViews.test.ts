import { randomUUID } from 'node:crypto';
import type { JsonRpcProvider, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilDeployer, anvilProvider, mined } from '../contracts/deploy.js';
import { type ApiResponse, ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { waitFor } from '../harness/waitFor.js';

// The client-wide views and references through the whole cluster (gatesrv, accountsrv, transrv t1 and t2, signsrv):
// a client's deposits (real ones on anvil), withdrawals and transfers listed across accounts on both nodes, every
// filter and both orders, a transfer by id, references unique per client and echoed everywhere, and the lists still
// answered, for both nodes' accounts, when one node is down (any node reads the shared database).

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type Page<T> = { data: T[]; nextCursor: string | null };
type Deposit = { id: string; asset: string; address: string; amount: string; status: string; createdAt: string };
type Withdrawal = {
  id: string;
  accountId: string;
  asset: string;
  status: string;
  reference: string | null;
  metadata: Record<string, string>;
  createdAt: string;
};
type Transfer = {
  id: string;
  from: string;
  to: string;
  status: string;
  reference: string | null;
  metadata: Record<string, string>;
  createdAt: string;
};

const FUND = 10n ** 18n;
const DESTINATION = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';

let cluster: Cluster;
let fixtures: LedgerFixtures;
let alice: ApiClient;
let bob: ApiClient;
let provider: JsonRpcProvider;
let payer: Wallet;
let minWithdrawal: string;
/** alice's accounts by node: at least one on each. */
const accountsOn: Record<string, string[]> = {};
let aliceAccounts: string[];
let bobAccount: string;

const code = (body: unknown) => (body as ErrorBody).error?.code;
const asc = <T extends { createdAt: string; id: string }>(a: T, b: T) => a.createdAt.localeCompare(b.createdAt) || (a.id < b.id ? -1 : 1);

/** Every item of a list, page by page with `limit`, following nextCursor. */
async function all<T>(api: ApiClient, path: string, limit = 2): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: ApiResponse<Page<T>> = await api.get<Page<T>>(
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status, path).toBe(200);
    items.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  return items;
}

async function openAccount(api: ApiClient): Promise<string> {
  const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `user-${randomUUID()}` });
  expect(res.status).toBe(201);
  await fixtures.fund(res.body.id, 'ETH', FUND);
  return res.body.id;
}

beforeAll(async () => {
  cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  alice = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Alice'));
  bob = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Bob'));
  aliceAccounts = [];
  for (let i = 0; i < 4; i++) {
    const id = await openAccount(alice);
    aliceAccounts.push(id);
    (accountsOn[await fixtures.nodeOf(id)] ??= []).push(id);
  }
  bobAccount = await openAccount(bob);
  provider = anvilProvider();
  payer = anvilDeployer(provider);
  const assets = await alice.get<{ data: { asset: string; minWithdrawal: string }[] }>('/v1/assets');
  minWithdrawal = assets.body.data.find((a) => a.asset === 'ETH')!.minWithdrawal;
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

it("spreads alice's accounts over both transrv nodes", () => {
  expect(Object.keys(accountsOn).sort()).toEqual(['t1', 't2']);
});

describe('GET /v1/deposits', () => {
  let aliceDeposits: Deposit[];

  beforeAll(async () => {
    // One real deposit to an account on each node, two to another, and one to bob's account.
    const targets = [accountsOn['t1']![0]!, accountsOn['t2']![0]!, accountsOn['t2']![0]!, bobAccount];
    const addresses = new Map<string, string>();
    for (const account of new Set(targets)) {
      const api = account === bobAccount ? bob : alice;
      const res = await api.post<{ address: string }>(`/v1/accounts/${account}/addresses`, { chain: 'eth' });
      expect(res.status).toBe(201);
      addresses.set(account, res.body.address);
    }
    for (const [i, account] of targets.entries()) {
      await mined(payer.sendTransaction({ to: addresses.get(account)!, value: 10n ** 15n * BigInt(i + 1) }));
    }
    await provider.send('anvil_mine', ['0x4']);
    aliceDeposits = await waitFor(
      "alice's three deposits credited",
      async () => {
        const list = await all<Deposit>(alice, '/v1/deposits?status=credited');
        return list.length === 3 ? list : undefined;
      },
      60_000,
    );
    await waitFor('bob’s deposit credited', async () => {
      const list = (await bob.get<Page<Deposit>>('/v1/deposits?status=credited')).body.data;
      return list.length === 1 ? list : undefined;
    });
  });

  it("lists the client's deposits of both nodes' accounts, newest first, paged; oldest first is the reverse", async () => {
    const newest = await all<Deposit>(alice, '/v1/deposits', 1);
    expect(newest.map((d) => d.id).sort()).toEqual(aliceDeposits.map((d) => d.id).sort());
    expect(newest).toEqual([...newest].sort(asc).reverse());
    expect(await all<Deposit>(alice, '/v1/deposits?order=asc', 1)).toEqual([...newest].reverse());
    // bob sees only his own
    const bobs = await all<Deposit>(bob, '/v1/deposits');
    expect(bobs).toHaveLength(1);
    expect(newest.map((d) => d.id)).not.toContain(bobs[0]!.id);
  });

  it('filters by account, asset, status and a createdAt range', async () => {
    const onT2 = await all<Deposit>(alice, `/v1/deposits?account=${accountsOn['t2']![0]}`);
    expect(onT2).toHaveLength(2);
    expect(await all<Deposit>(alice, `/v1/deposits?account=${accountsOn['t1']![0]}&asset=ETH&status=credited`)).toHaveLength(1);
    expect(await all<Deposit>(alice, '/v1/deposits?asset=BTC')).toEqual([]);
    expect(await all<Deposit>(alice, '/v1/deposits?status=pending')).toEqual([]);
    // since includes its millisecond, until excludes its own
    const sorted = [...aliceDeposits].sort(asc);
    const middle = sorted[1]!;
    const fromMiddle = await all<Deposit>(alice, `/v1/deposits?order=asc&since=${middle.createdAt}`);
    expect(fromMiddle.map((d) => d.id)).toEqual(sorted.filter((d) => d.createdAt >= middle.createdAt).map((d) => d.id));
    const beforeMiddle = await all<Deposit>(alice, `/v1/deposits?order=asc&until=${middle.createdAt}`);
    expect(beforeMiddle.map((d) => d.id)).toEqual(sorted.filter((d) => d.createdAt < middle.createdAt).map((d) => d.id));
  });

  it('refuses bad filters and cursors with 400, and another client’s account with 404', async () => {
    const first = await alice.get<Page<Deposit>>('/v1/deposits?limit=1');
    expect(first.body.nextCursor).not.toBeNull();
    const bad = [
      `/v1/deposits?limit=1&order=asc&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
      '/v1/deposits?status=confirmed',
      '/v1/deposits?asset=DOGE',
      '/v1/deposits?since=2026-01-01',
      '/v1/deposits?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z',
      '/v1/deposits?order=newest',
      '/v1/deposits?cursor=bm90LWEtY3Vyc29y',
      '/v1/deposits?reference=x',
    ];
    for (const path of bad) {
      const res = await alice.get(path);
      expect({ path, status: res.status, code: code(res.body) }).toEqual({ path, status: 400, code: 'VALIDATION_FAILED' });
    }
    const other = await alice.get(`/v1/deposits?account=${bobAccount}`);
    expect({ status: other.status, code: code(other.body) }).toEqual({ status: 404, code: 'ACCOUNT_NOT_FOUND' });
  });
});

describe('withdrawals: references, metadata and GET /v1/withdrawals', () => {
  const made: Withdrawal[] = [];
  const withdraw = (account: string, extra: Record<string, unknown> = {}, key?: string) =>
    alice.post<Withdrawal>(
      `/v1/accounts/${account}/withdrawals`,
      { asset: 'ETH', to: DESTINATION, amount: minWithdrawal, ...extra },
      key === undefined ? {} : { idempotencyKey: key },
    );

  it('takes a reference and metadata and shows them in every answer; none is null and {}', async () => {
    for (const [i, account] of [accountsOn['t1']![0]!, accountsOn['t2']![0]!].entries()) {
      const res = await withdraw(account, { reference: `WD-${i}`, metadata: { invoice: `inv-${i}`, note: 'für €' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ reference: `WD-${i}`, metadata: { invoice: `inv-${i}`, note: 'für €' } });
      made.push(res.body);
    }
    const plain = await withdraw(accountsOn['t2']![0]!);
    expect(plain.body).toMatchObject({ reference: null, metadata: {} });
    made.push(plain.body);
    const read = await alice.get<Withdrawal>(`/v1/withdrawals/${made[0]!.id}`);
    expect(read.body).toMatchObject({ reference: 'WD-0', metadata: { invoice: 'inv-0', note: 'für €' } });
    const listed = await alice.get<Page<Withdrawal>>(`/v1/accounts/${accountsOn['t2']![0]}/withdrawals`);
    expect(listed.body.data.find((w) => w.id === made[1]!.id)).toMatchObject({ reference: 'WD-1', metadata: { invoice: 'inv-1' } });
  });

  it('refuses a reference already used with 409 DUPLICATE_REFERENCE, nothing frozen; the first key still replays', async () => {
    const first = await withdraw(accountsOn['t1']![0]!, { reference: 'WD-dup' }, 'wd-dup-key');
    expect(first.status).toBe(201);
    const before = await fixtures.snapshot();
    const again = await withdraw(accountsOn['t2']![0]!, { reference: 'WD-dup' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'DUPLICATE_REFERENCE', details: { reference: 'WD-dup', id: first.body.id } } });
    expect(await fixtures.snapshot()).toEqual(before);
    const replay = await withdraw(accountsOn['t1']![0]!, { reference: 'WD-dup' }, 'wd-dup-key');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    // bob may use it; so may one of alice's transfers
    expect(
      (
        await bob.post(`/v1/accounts/${bobAccount}/withdrawals`, {
          asset: 'ETH',
          to: DESTINATION,
          amount: minWithdrawal,
          reference: 'WD-dup',
        })
      ).status,
    ).toBe(201);
    const t = await alice.post<Transfer>('/v1/transfers', {
      from: aliceAccounts[0],
      to: aliceAccounts[1],
      asset: 'ETH',
      amount: '1',
      reference: 'WD-dup',
    });
    expect(t.status).toBe(201);
    made.push(first.body);
  });

  it('of 12 requests at once with one reference, on accounts of both nodes, exactly one is accepted', async () => {
    const accounts = [...accountsOn['t1']!, ...accountsOn['t2']!];
    const before = await fixtures.snapshot();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => withdraw(accounts[i % accounts.length]!, { reference: 'WD-race' })),
    );
    const accepted = results.filter((r) => r.status === 201);
    expect(accepted).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ error: { code: 'DUPLICATE_REFERENCE', details: { reference: 'WD-race', id: accepted[0]!.body.id } } });
    }
    const after = await fixtures.snapshot();
    expect(after.withdrawals).toBe(before.withdrawals + 1);
    made.push(accepted[0]!.body);
  });

  it.each([
    ['a reference with a space', { reference: 'a b' }],
    ['a 65-character reference', { reference: 'r'.repeat(65) }],
    ['metadata with a number', { metadata: { a: 1 } }],
    ['metadata with 21 keys', { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }],
    [
      'metadata over 2,048 bytes',
      { metadata: { a: 'x'.repeat(500), b: 'x'.repeat(500), c: 'x'.repeat(500), d: 'x'.repeat(500), e: 'x'.repeat(100) } },
    ],
  ])('refuses %s with 400 and freezes nothing', async (_what, extra) => {
    const before = await fixtures.snapshot();
    const res = await withdraw(accountsOn['t1']![0]!, extra);
    expect({ status: res.status, code: code(res.body) }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await fixtures.snapshot()).toEqual(before);
  });

  it("lists the client's withdrawals of both nodes, by reference, status, account and in both orders", async () => {
    const cancelled = await alice.post<Withdrawal>(`/v1/withdrawals/${made[2]!.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', reference: null, metadata: {} });

    const newest = await all<Withdrawal>(alice, '/v1/withdrawals', 2);
    expect(newest.map((w) => w.id).sort()).toEqual(made.map((w) => w.id).sort());
    expect(new Set(newest.map((w) => w.accountId)).size).toBeGreaterThan(1);
    expect(newest).toEqual([...newest].sort(asc).reverse());
    expect(await all<Withdrawal>(alice, '/v1/withdrawals?order=asc', 3)).toEqual([...newest].reverse());

    const byReference = await alice.get<Page<Withdrawal>>('/v1/withdrawals?reference=WD-1');
    expect(byReference.body).toEqual({ data: [expect.objectContaining({ id: made[1]!.id, reference: 'WD-1' })], nextCursor: null });
    expect((await alice.get<Page<Withdrawal>>('/v1/withdrawals?reference=wd-1')).body.data).toEqual([]);
    expect((await bob.get<Page<Withdrawal>>('/v1/withdrawals?reference=WD-1')).body.data).toEqual([]);
    expect((await all<Withdrawal>(alice, '/v1/withdrawals?status=cancelled')).map((w) => w.id)).toEqual([made[2]!.id]);
    const onT2 = await all<Withdrawal>(alice, `/v1/withdrawals?account=${accountsOn['t2']![0]}&asset=ETH`);
    expect(onT2.map((w) => w.id).sort()).toEqual(
      made
        .filter((w) => w.accountId === accountsOn['t2']![0])
        .map((w) => w.id)
        .sort(),
    );
    const since = [...newest].sort(asc)[2]!.createdAt;
    expect((await all<Withdrawal>(alice, `/v1/withdrawals?order=asc&since=${since}`)).map((w) => w.id)).toEqual(
      [...newest]
        .sort(asc)
        .filter((w) => w.createdAt >= since)
        .map((w) => w.id),
    );
    const res = await alice.get(`/v1/withdrawals?account=${bobAccount}`);
    expect(code(res.body)).toBe('ACCOUNT_NOT_FOUND');
    expect(code((await alice.get('/v1/withdrawals?status=done')).body)).toBe('VALIDATION_FAILED');
  });
});

describe('transfers: references, GET /v1/transfers and /v1/transfers/{id}', () => {
  const made: Transfer[] = [];

  it('moves between accounts of both nodes with references; lists them by either side, reference and status', async () => {
    const [a1] = accountsOn['t1']!;
    const [b1] = accountsOn['t2']!;
    const pairs = [
      [a1, b1, 'TR-1'],
      [b1, a1, 'TR-2'],
      [b1, aliceAccounts.find((a) => a !== a1 && a !== b1)!, undefined],
    ] as const;
    for (const [from, to, reference] of pairs) {
      const res = await alice.post<Transfer>('/v1/transfers', {
        from,
        to,
        asset: 'ETH',
        amount: '1000',
        ...(reference === undefined ? {} : { reference, metadata: { batch: 'b-7' } }),
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject(
        reference === undefined ? { reference: null, metadata: {} } : { reference, metadata: { batch: 'b-7' } },
      );
      made.push(res.body);
    }
    const dup = await alice.post('/v1/transfers', { from: a1, to: b1, asset: 'ETH', amount: '1', reference: 'TR-1' });
    expect(dup.body).toMatchObject({ error: { code: 'DUPLICATE_REFERENCE', details: { reference: 'TR-1', id: made[0]!.id } } });
    expect(dup.status).toBe(409);

    const listed = await all<Transfer>(alice, '/v1/transfers', 1);
    for (const t of made) expect(listed.map((x) => x.id)).toContain(t.id);
    expect(listed).toEqual([...listed].sort(asc).reverse());
    expect(await all<Transfer>(alice, '/v1/transfers?order=asc', 2)).toEqual([...listed].reverse());
    const ofA1 = await all<Transfer>(alice, `/v1/transfers?account=${a1}`);
    expect(ofA1.every((t) => t.from === a1 || t.to === a1)).toBe(true);
    expect(ofA1.map((t) => t.id)).toEqual(expect.arrayContaining([made[0]!.id, made[1]!.id]));
    expect(ofA1.map((t) => t.id)).not.toContain(made[2]!.id);
    expect((await alice.get<Page<Transfer>>('/v1/transfers?reference=TR-2')).body.data.map((t) => t.id)).toEqual([made[1]!.id]);
    expect((await all<Transfer>(alice, '/v1/transfers?status=pending_credit')).every((t) => t.status === 'pending_credit')).toBe(true);
    expect(await all<Transfer>(bob, '/v1/transfers')).toEqual([]);
  });

  it('reads a transfer by id; another client’s is 404', async () => {
    const res = await alice.get<Transfer>(`/v1/transfers/${made[0]!.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: made[0]!.id, reference: 'TR-1', metadata: { batch: 'b-7' } });
    const other = await bob.get(`/v1/transfers/${made[0]!.id}`);
    expect({ status: other.status, code: code(other.body) }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect((await alice.get('/v1/transfers/tr_01J00000000000000000000000')).status).toBe(404);
  });
});

describe('with one node down', () => {
  it("still lists the client's deposits, withdrawals and transfers of both nodes' accounts", async () => {
    // ids: confirmations and statuses may move on meanwhile
    const ids = async () => ({
      deposits: (await all<Deposit>(alice, '/v1/deposits', 50)).map((d) => d.id),
      withdrawals: (await all<Withdrawal>(alice, '/v1/withdrawals', 50)).map((w) => w.id),
      transfers: (await all<Transfer>(alice, '/v1/transfers', 50)).map((t) => t.id),
    });
    const before = await ids();
    expect(before.deposits.length * before.withdrawals.length * before.transfers.length).toBeGreaterThan(0);
    await cluster.process('transrv-t2').stop();
    const t2Account = accountsOn['t2']![0]!;
    await waitFor('the gateway to see t2 down', async () => {
      const res = await alice.get(`/v1/accounts/${t2Account}/deposits`);
      return code(res.body) === 'SHARD_UNAVAILABLE' ? true : undefined;
    });
    expect(await ids()).toEqual(before);
    expect((await all<Deposit>(alice, `/v1/deposits?account=${t2Account}`)).length).toBe(2);
  });
});
