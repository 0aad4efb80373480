import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';

// Identities are opaque bytes: an id, externalId or Idempotency-Key in another case names something else (or nothing).

type ErrorBody = { error: { code: string } };
type Account = { id: string; externalId: string };
type Withdrawal = { id: string; accountId: string; status: string };
type AssetInfo = { asset: string; minWithdrawal: string; withdrawalFee: string };

const TO = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

let cluster: Cluster;
let fixtures: LedgerFixtures;
let alice: ApiClient;
let min: bigint; // ETH minWithdrawal
let acc: Account; // funded
let other: Account;

const code = (body: unknown) => (body as ErrorBody).error?.code;

/** The same id with every letter's case flipped the one way: never the canonical spelling (ids contain letters). */
const spellings = (id: string): [string, string][] => {
  const variants: [string, string][] = [
    ['lower-cased', id.toLowerCase()],
    ['upper-cased', id.toUpperCase()],
  ];
  for (const [, v] of variants) expect(v).not.toBe(id);
  return variants;
};

async function openAccount(externalId = `user-${randomUUID()}`): Promise<{ status: number; body: Account }> {
  return alice.post<Account>('/v1/accounts', { externalId });
}

/** Everything stored per client request: money, transfers, withdrawals, addresses, accounts. */
async function stored() {
  const count = async (table: string) => Number((await fixtures.db(table).count<{ n: number }[]>({ n: '*' }))[0]!.n);
  return { ...(await fixtures.snapshot()), addresses: await count('addresses'), accounts: await count('accounts') };
}

async function refusedWithoutEffect(send: () => Promise<{ status: number; body: unknown }>, status: number, errorCode: string) {
  const before = await stored();
  const res = await send();
  expect({ status: res.status, code: code(res.body) }).toEqual({ status, code: errorCode });
  expect(await stored()).toEqual(before);
}

/** No row anywhere names the account by a second spelling. */
async function noSecondSpelling(id: string): Promise<void> {
  const [rows] = (await fixtures.db.raw(
    `SELECT 'journal' AS t, account_id AS v FROM journal WHERE LOWER(account_id) = LOWER(?)
     UNION ALL SELECT 'balances', account_id FROM balances WHERE LOWER(account_id) = LOWER(?)
     UNION ALL SELECT 'addresses', account_id FROM addresses WHERE LOWER(account_id) = LOWER(?)
     UNION ALL SELECT 'withdrawals', account_id FROM withdrawals WHERE LOWER(account_id) = LOWER(?)
     UNION ALL SELECT 'transfers', from_account_id FROM transfers WHERE LOWER(from_account_id) = LOWER(?)
     UNION ALL SELECT 'transfers', to_account_id FROM transfers WHERE LOWER(to_account_id) = LOWER(?)`,
    Array(6).fill(id),
  )) as [{ t: string; v: string }[]];
  expect(rows.filter((r) => r.v !== id)).toEqual([]);
}

beforeAll(async () => {
  cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  alice = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Alice'));
  const assets = await alice.get<{ data: AssetInfo[] }>('/v1/assets');
  const eth = assets.body.data.find((a) => a.asset === 'ETH')!;
  min = BigInt(eth.minWithdrawal);
  acc = (await openAccount()).body;
  other = (await openAccount()).body;
  await fixtures.fund(acc.id, 'ETH', 100n * min);
  await fixtures.fund(other.id, 'ETH', 100n * min);
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

describe('externalId', () => {
  it('two externalIds that differ only in case are two accounts', async () => {
    const suffix = randomUUID().slice(0, 8);
    const first = await openAccount(`CaseUser-${suffix}`);
    const second = await openAccount(`caseuser-${suffix}`);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    expect(second.body.externalId).toBe(`caseuser-${suffix}`);
    // The exact externalId again is still the same account.
    const again = await openAccount(`CaseUser-${suffix}`);
    expect([again.status, again.body.id]).toEqual([200, first.body.id]);
  });
});

describe('an account id in another spelling', () => {
  it.each(['lower-cased', 'upper-cased'])('%s is 404 on every account path and stores nothing', async (which) => {
    const id = spellings(acc.id).find(([name]) => name === which)![1];
    for (const path of ['', '/balances', '/ledger', '/deposits', '/addresses', '/withdrawals']) {
      await refusedWithoutEffect(() => alice.get(`/v1/accounts/${id}${path}`), 404, 'ACCOUNT_NOT_FOUND');
    }
    await refusedWithoutEffect(() => alice.post(`/v1/accounts/${id}/addresses`, { chain: 'eth' }), 404, 'ACCOUNT_NOT_FOUND');
    await refusedWithoutEffect(
      () => alice.post(`/v1/accounts/${id}/withdrawals`, { asset: 'ETH', to: TO, amount: min.toString() }),
      404,
      'ACCOUNT_NOT_FOUND',
    );
    // As a transfer's `to` (it passes "from and to must differ") and as its `from`.
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: acc.id, to: id, asset: 'ETH', amount: '1' }),
      404,
      'ACCOUNT_NOT_FOUND',
    );
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: id, to: other.id, asset: 'ETH', amount: '1' }),
      404,
      'ACCOUNT_NOT_FOUND',
    );
    await noSecondSpelling(acc.id);
  });

  it('the canonical spelling still works', async () => {
    expect((await alice.get<Account>(`/v1/accounts/${acc.id}`)).body.id).toBe(acc.id);
    const res = await alice.post('/v1/transfers', { from: acc.id, to: other.id, asset: 'ETH', amount: '1' });
    expect(res.status).toBe(201);
  });
});

describe('a withdrawal id in another spelling', () => {
  it('is 404 on GET and cancel, and the withdrawal stays pending', async () => {
    const made = await alice.post<Withdrawal>(`/v1/accounts/${acc.id}/withdrawals`, { asset: 'ETH', to: TO, amount: min.toString() });
    expect(made.status).toBe(201);
    for (const [, id] of spellings(made.body.id)) {
      await refusedWithoutEffect(() => alice.get(`/v1/withdrawals/${id}`), 404, 'NOT_FOUND');
      await refusedWithoutEffect(() => alice.post(`/v1/withdrawals/${id}/cancel`, {}), 404, 'NOT_FOUND');
    }
    const now = await alice.get<Withdrawal>(`/v1/withdrawals/${made.body.id}`);
    expect([now.status, now.body.status]).toEqual([200, 'pending_review']);
    const events = await fixtures
      .db('withdrawal_events')
      .whereRaw('LOWER(withdrawal_id) = LOWER(?)', [made.body.id])
      .pluck('withdrawal_id');
    expect(events).toEqual([made.body.id]);
  });
});

describe('Idempotency-Keys that differ only in case', () => {
  it('are two withdrawals', async () => {
    const key = `Race-${randomUUID()}`;
    const body = { asset: 'ETH', to: TO, amount: min.toString() };
    const first = await alice.post<Withdrawal>(`/v1/accounts/${acc.id}/withdrawals`, body, { idempotencyKey: key.toUpperCase() });
    const second = await alice.post<Withdrawal>(`/v1/accounts/${acc.id}/withdrawals`, body, { idempotencyKey: key.toLowerCase() });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
    expect(await fixtures.db('withdrawals').whereIn('id', [first.body.id, second.body.id]).pluck('idempotency_key')).toHaveLength(2);
  });

  it('are two transfers', async () => {
    const key = `Race-${randomUUID()}`;
    const body = { from: acc.id, to: other.id, asset: 'ETH', amount: '7' };
    const first = await alice.post<{ id: string }>('/v1/transfers', body, { idempotencyKey: key.toUpperCase() });
    const second = await alice.post<{ id: string }>('/v1/transfers', body, { idempotencyKey: key.toLowerCase() });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
  });

  it('are two deposit addresses', async () => {
    const key = `Addr-${randomUUID()}`;
    const first = await alice.post<{ address: string }>(
      `/v1/accounts/${acc.id}/addresses`,
      { chain: 'eth' },
      { idempotencyKey: key.toUpperCase() },
    );
    const second = await alice.post<{ address: string }>(
      `/v1/accounts/${acc.id}/addresses`,
      { chain: 'eth' },
      { idempotencyKey: key.toLowerCase() },
    );
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.address).not.toBe(first.body.address);
  });
});
