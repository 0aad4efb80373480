import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, ApiClient, type SendOptions } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { stackEnv } from '../harness/stackEnv.js';

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type Account = { id: string };
type Balance = { asset: string; available: string; frozen: string; pending: string };
type Withdrawal = {
  id: string;
  accountId: string;
  chain: string;
  asset: string;
  to: string;
  amount: string;
  fee: string;
  status: string;
  txid: string | null;
  confirmations: number | null;
  reason: string | null;
  networkFee: string | null;
  createdAt: string;
  updatedAt: string;
};
type LedgerLine = { id: string; asset: string; amount: string; kind: string; refId: string; bucket: string; balanceAfter: string };
type AssetInfo = { asset: string; minWithdrawal: string; withdrawalFee: string };

// EIP-55's own examples: the checksummed form and the same address in lower case.
const CHECKSUMMED = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const LOWER = CHECKSUMMED.toLowerCase();
// Mixed case with the last letter's case flipped: claims a checksum, and it is wrong.
const BAD_CHECKSUM = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD';
const OTHER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const FUND = 10n ** 18n;
const NO_SUCH_WITHDRAWAL = 'wd_01J00000000000000000000000';

let cluster: Cluster;
let fixtures: LedgerFixtures;
let alice: ApiClient; // one exchange
let bob: ApiClient; // another exchange
let aliceId: string;
let redis: Redis;
let min: bigint; // ETH minWithdrawal
let fee: bigint; // ETH withdrawalFee
let total: bigint; // min + fee: what a withdrawal of the minimum freezes
/** A valid btc regtest address (P2WPKH, packages/chains/src/utxo/vectors/addresses.json); the cluster scans no btc, so none is issued. */
const btcAddress = 'bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9';

const code = (body: unknown) => (body as ErrorBody).error?.code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openAccount(api: ApiClient, fund = 0n): Promise<string> {
  const res = await api.post<Account>('/v1/accounts', { externalId: `user-${randomUUID()}` });
  expect(res.status).toBe(201);
  if (fund > 0n) await fixtures.fund(res.body.id, 'ETH', fund);
  return res.body.id;
}

async function balance(api: ApiClient, accountId: string, asset = 'ETH'): Promise<{ available: bigint; frozen: bigint }> {
  const res = await api.get<{ data: Balance[] }>(`/v1/accounts/${accountId}/balances`);
  expect(res.status).toBe(200);
  const b = res.body.data.find((x) => x.asset === asset)!;
  return { available: BigInt(b.available), frozen: BigInt(b.frozen) };
}

function withdraw(api: ApiClient, accountId: string, body: unknown, options: SendOptions = {}): Promise<ApiResponse<Withdrawal>> {
  return api.post<Withdrawal>(`/v1/accounts/${accountId}/withdrawals`, body, options);
}

/** Sends until the answer is final: a retryable one (in progress, shard busy, timed out) is re-sent with the same key. */
async function untilFinal<T>(send: () => Promise<ApiResponse<T>>): Promise<{ res: ApiResponse<T>; retried: number }> {
  for (let retried = 0; ; retried++) {
    const res = await send();
    // Bounded: a request that never gets a final answer is returned as it is, and the caller's assertions fail.
    if (![409, 503, 504].includes(res.status) || retried >= 100) return { res, retried };
    await sleep(100 + (retried % 5) * 50);
  }
}

/** Asserts the request was refused with `status`/`errorCode` and that nothing (money, withdrawals, outbox) changed. */
async function refusedWithoutEffect(send: () => Promise<{ status: number; body: unknown }>, status: number, errorCode: string) {
  const before = await fixtures.snapshot();
  const res = await send();
  expect({ status: res.status, code: code(res.body) }).toEqual({ status, code: errorCode });
  expect(res.body).toMatchObject({ error: { message: expect.any(String), details: expect.any(Object) } });
  expect(await fixtures.snapshot()).toEqual(before);
  return res as { status: number; body: ErrorBody };
}

async function events(withdrawalId: string): Promise<{ from: string | null; to: string; actor: string }[]> {
  const rows = await fixtures
    .db('withdrawal_events')
    .where({ withdrawal_id: withdrawalId })
    .orderBy('id')
    .select<{ from_status: string | null; to_status: string; actor: string }[]>('from_status', 'to_status', 'actor');
  return rows.map((r) => ({ from: r.from_status, to: r.to_status, actor: r.actor }));
}

async function countRows(sql: string, bindings: readonly string[]): Promise<number> {
  const [[row]] = (await fixtures.db.raw(sql, bindings)) as [[{ n: number }]];
  return Number(row.n);
}

/** The account's ledger lines of one withdrawal and kind, as [bucket, amount], in a stable order. */
async function ledgerLines(accountId: string, refId: string, kind: string): Promise<[string, string][]> {
  const res = await alice.get<{ data: LedgerLine[] }>(`/v1/accounts/${accountId}/ledger?limit=200`);
  expect(res.status).toBe(200);
  return res.body.data
    .filter((l) => l.refId === refId && l.kind === kind)
    .map((l): [string, string] => [l.bucket, l.amount])
    .sort(([a], [b]) => a.localeCompare(b));
}

beforeAll(async () => {
  cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  redis = new Redis(stackEnv.REDIS_URL);
  const aliceCredentials = await createApiClient(cluster, 'Exchange Alice');
  aliceId = aliceCredentials.clientId;
  alice = new ApiClient(cluster.gatewayUrl, aliceCredentials);
  bob = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Bob'));

  const assets = await alice.get<{ data: AssetInfo[] }>('/v1/assets');
  const eth = assets.body.data.find((a) => a.asset === 'ETH')!;
  min = BigInt(eth.minWithdrawal);
  fee = BigInt(eth.withdrawalFee);
  total = min + fee;
  expect(fee).toBeGreaterThan(0n); // the fee assertions below would prove nothing with a zero fee
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  redis?.disconnect();
  await fixtures?.close();
  await cluster?.stop();
});

describe('POST /v1/accounts/{id}/withdrawals', () => {
  it('freezes amount + fee, stores the destination in EIP-55 form, and shows it by id, in the list and in the ledger', async () => {
    const acc = await openAccount(alice, FUND);
    const res = await withdraw(alice, acc, { asset: 'ETH', to: LOWER, amount: min.toString() });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(res.body).toEqual({
      id: expect.stringMatching(/^wd_/),
      accountId: acc,
      chain: 'eth',
      asset: 'ETH',
      to: CHECKSUMMED,
      amount: min.toString(),
      fee: fee.toString(),
      status: 'pending_review',
      txid: null,
      outputIndex: null,
      confirmations: null,
      reason: null,
      networkFee: null,
      internal: false,
      reference: null,
      metadata: {},
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.any(String),
    });
    const id = res.body.id;
    expect(await balance(alice, acc)).toEqual({ available: FUND - total, frozen: total });

    const byId = await alice.get<Withdrawal>(`/v1/withdrawals/${id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(res.body);
    const list = await alice.get<{ data: Withdrawal[]; nextCursor: string | null }>(`/v1/accounts/${acc}/withdrawals`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [res.body], nextCursor: null });

    expect(await ledgerLines(acc, id, 'withdrawal_freeze')).toEqual([
      ['available', (-total).toString()],
      ['frozen', total.toString()],
    ]);
    expect(await events(id)).toEqual([{ from: null, to: 'pending_review', actor: `client:${aliceId}` }]);
    const stored = await fixtures.db('withdrawals').where({ id }).first<{ to_address: string; client_id: string; node_id: string }>();
    expect(stored).toMatchObject({ to_address: CHECKSUMMED, client_id: aliceId, node_id: await fixtures.nodeOf(acc) });
    // Queued for signsrv in the same transaction.
    expect(await countRows('SELECT COUNT(*) AS n FROM withdrawal_outbox WHERE withdrawal_id = ?', [id])).toBe(1);
  });

  it('lists newest first with an opaque cursor', async () => {
    const acc = await openAccount(alice, FUND);
    const made: string[] = [];
    for (const to of [CHECKSUMMED, OTHER, CHECKSUMMED]) {
      const res = await withdraw(alice, acc, { asset: 'ETH', to, amount: min.toString() });
      expect(res.status).toBe(201);
      made.push(res.body.id);
    }
    const p1 = await alice.get<{ data: Withdrawal[]; nextCursor: string | null }>(`/v1/accounts/${acc}/withdrawals?limit=2`);
    expect(p1.body.data.map((w) => w.id)).toEqual([made[2], made[1]]);
    expect(p1.body.nextCursor).toEqual(expect.any(String));
    const p2 = await alice.get<{ data: Withdrawal[]; nextCursor: string | null }>(
      `/v1/accounts/${acc}/withdrawals?limit=2&cursor=${p1.body.nextCursor}`,
    );
    expect(p2.body.data.map((w) => w.id)).toEqual([made[0]]);
    expect(p2.body.nextCursor).toBeNull();
    expect(await balance(alice, acc)).toEqual({ available: FUND - 3n * total, frozen: 3n * total });
  });
});

describe('refused withdrawal requests change nothing', () => {
  let acc: string;
  const valid = () => ({ asset: 'ETH', to: CHECKSUMMED, amount: min.toString() });

  beforeAll(async () => {
    acc = await openAccount(alice, FUND);
  });

  it('an unknown asset is UNSUPPORTED_ASSET', async () => {
    await refusedWithoutEffect(() => withdraw(alice, acc, { ...valid(), asset: 'DOGE' }), 422, 'UNSUPPORTED_ASSET');
  });

  it('BTC on a deployment without a bitcoind (no node to pay or scan with) is UNSUPPORTED_ASSET, even to a valid BTC address', async () => {
    await fixtures.fund(acc, 'BTC', 10n ** 8n, 'btc');
    const res = await refusedWithoutEffect(
      () => withdraw(alice, acc, { asset: 'BTC', to: btcAddress, amount: '100000' }),
      422,
      'UNSUPPORTED_ASSET',
    );
    expect(res.body.error.details).toMatchObject({ asset: 'BTC', chain: 'btc', reason: 'chain_not_served' });
  });

  it.each([
    ['not an address at all', 'not-an-address', 'FORMAT'],
    ['too short', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA', 'FORMAT'],
    ['without 0x', CHECKSUMMED.slice(2), 'FORMAT'],
    ['a wrong EIP-55 checksum', BAD_CHECKSUM, 'CHECKSUM'],
    ['a BTC address', 'btc', 'FORMAT'],
  ])('a destination that is %s is INVALID_ADDRESS', async (_name, to, reason) => {
    const destination = to === 'btc' ? btcAddress : to;
    const res = await refusedWithoutEffect(() => withdraw(alice, acc, { ...valid(), to: destination }), 422, 'INVALID_ADDRESS');
    expect(res.body.error.details).toMatchObject({ chain: 'eth', reason });
  });

  it('an amount below the asset minimum is AMOUNT_TOO_SMALL', async () => {
    const res = await refusedWithoutEffect(
      () => withdraw(alice, acc, { ...valid(), amount: (min - 1n).toString() }),
      422,
      'AMOUNT_TOO_SMALL',
    );
    expect(res.body.error.details).toMatchObject({ asset: 'ETH', minWithdrawal: min.toString() });
  });

  it.each([
    ['a zero amount', { amount: '0' }],
    ['a negative amount', { amount: '-1000000000000000' }],
    ['a fractional amount', { amount: '1000000000000000.5' }],
    ['a leading plus', { amount: '+1000000000000000' }],
    ['an exponent', { amount: '1e15' }],
    ['an empty amount', { amount: '' }],
    ['an amount over 2^256-1', { amount: (1n << 256n).toString() }],
    ['a number instead of a string', { amount: 1_000_000_000_000_000 }],
    ['a fee field', { fee: '0' }],
    ['a status field', { status: 'approved' }],
    ['an accountId field', { accountId: 'acc_01J00000000000000000000000' }],
    ['no asset', { asset: undefined }],
    ['no destination', { to: undefined }],
    ['no amount', { amount: undefined }],
    ['an empty destination', { to: '' }],
    ['a destination that is not a string', { to: 42 }],
    ['a lower-case asset', { asset: 'eth' }],
  ])('%s is VALIDATION_FAILED', async (_name, patch) => {
    await refusedWithoutEffect(() => withdraw(alice, acc, { ...valid(), ...patch }), 400, 'VALIDATION_FAILED');
  });

  it('an empty body and a body that is not an object are VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(() => withdraw(alice, acc, {}), 400, 'VALIDATION_FAILED');
    await refusedWithoutEffect(() => withdraw(alice, acc, '[1]'), 400, 'VALIDATION_FAILED');
  });

  it('amount + fee above the available balance is INSUFFICIENT_FUNDS (the fee counts)', async () => {
    const poor = await openAccount(alice, total - 1n);
    await refusedWithoutEffect(() => withdraw(alice, poor, valid()), 422, 'INSUFFICIENT_FUNDS');
    // The whole balance as amount leaves nothing for the fee.
    await refusedWithoutEffect(() => withdraw(alice, acc, { ...valid(), amount: FUND.toString() }), 422, 'INSUFFICIENT_FUNDS');
    await refusedWithoutEffect(
      () => withdraw(alice, acc, { ...valid(), amount: ((1n << 256n) - 1n).toString() }),
      422,
      'INSUFFICIENT_FUNDS',
    );
    const empty = await openAccount(alice);
    await refusedWithoutEffect(() => withdraw(alice, empty, valid()), 422, 'INSUFFICIENT_FUNDS');
  });

  it("another client's account, or none, is ACCOUNT_NOT_FOUND (404)", async () => {
    await refusedWithoutEffect(() => withdraw(bob, acc, valid()), 404, 'ACCOUNT_NOT_FOUND');
    await refusedWithoutEffect(() => bob.get(`/v1/accounts/${acc}/withdrawals`), 404, 'ACCOUNT_NOT_FOUND');
    await refusedWithoutEffect(() => withdraw(alice, 'acc_01J00000000000000000000000', valid()), 404, 'ACCOUNT_NOT_FOUND');
  });

  it('a POST without Idempotency-Key is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(() => withdraw(alice, acc, valid(), { idempotencyKey: null }), 400, 'VALIDATION_FAILED');
  });

  it('a query string on POST is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(() => alice.post(`/v1/accounts/${acc}/withdrawals?status=approved`, valid()), 400, 'VALIDATION_FAILED');
  });

  it('none of them froze anything', async () => {
    expect(await balance(alice, acc)).toEqual({ available: FUND, frozen: 0n });
    expect(await countRows('SELECT COUNT(*) AS n FROM withdrawals WHERE account_id = ?', [acc])).toBe(0);
  });
});

describe('idempotency', () => {
  it('the same key and body return the same withdrawal (replayed) and freeze once; another body is IDEMPOTENCY_KEY_REUSED', async () => {
    const acc = await openAccount(alice, FUND);
    const key = randomUUID();
    const body = { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() };
    const first = await withdraw(alice, acc, body, { idempotencyKey: key });
    expect(first.status).toBe(201);
    const before = await fixtures.snapshot();
    const again = await withdraw(alice, acc, body, { idempotencyKey: key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await fixtures.snapshot()).toEqual(before);
    expect(await balance(alice, acc)).toEqual({ available: FUND - total, frozen: total });
    await refusedWithoutEffect(
      () => withdraw(alice, acc, { ...body, amount: (min + 1n).toString() }, { idempotencyKey: key }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it("with the gateway's record lost, transrv's unique key still answers with the one withdrawal", async () => {
    const acc = await openAccount(alice, FUND);
    const key = `lost-${randomUUID()}`;
    const body = { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() };
    const first = await withdraw(alice, acc, body, { idempotencyKey: key });
    expect(first.status).toBe(201);
    expect(await redis.del(`wallet:${cluster.env}:idem:${encodeURIComponent(aliceId)}:${key}`)).toBe(1);

    const before = await fixtures.snapshot();
    const again = await withdraw(alice, acc, body, { idempotencyKey: key });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await fixtures.snapshot()).toEqual(before);
    expect(await redis.del(`wallet:${cluster.env}:idem:${encodeURIComponent(aliceId)}:${key}`)).toBe(1);
    await refusedWithoutEffect(() => withdraw(alice, acc, { ...body, to: OTHER }, { idempotencyKey: key }), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await balance(alice, acc)).toEqual({ available: FUND - total, frozen: total });
  });

  it('50 parallel copies of one request with one key create exactly one withdrawal', async () => {
    const acc = await openAccount(alice, FUND);
    const key = randomUUID();
    const body = { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() };
    const results = await Promise.all(Array.from({ length: 50 }, () => withdraw(alice, acc, body, { idempotencyKey: key })));
    // While the first runs, the others are told it is in progress, never given a second withdrawal.
    for (const r of results.filter((r) => r.status !== 201)) expect([r.status, code(r.body)]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
    const first = results.filter((r) => r.status === 201);
    expect(first.length).toBeGreaterThanOrEqual(1);
    // A back office retries the in-progress ones with the same key: each then gets the one withdrawal.
    const retried = await Promise.all(
      results.filter((r) => r.status !== 201).map(() => untilFinal(() => withdraw(alice, acc, body, { idempotencyKey: key }))),
    );
    const all = [...first, ...retried.map((r) => r.res)];
    expect(all.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
    expect(await countRows('SELECT COUNT(*) AS n FROM withdrawals WHERE client_id = ? AND idempotency_key = ?', [aliceId, key])).toBe(1);
    expect(await countRows('SELECT COUNT(*) AS n FROM withdrawals WHERE account_id = ?', [acc])).toBe(1);
    expect(await balance(alice, acc)).toEqual({ available: FUND - total, frozen: total });
  });
});

describe('concurrency', () => {
  it('200 parallel withdrawals against funds for exactly 100: 100 accepted, 100 INSUFFICIENT_FUNDS, never overdrawn', async () => {
    const acc = await openAccount(alice, 100n * total);
    const body = { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => untilFinal(() => withdraw(alice, acc, body, { idempotencyKey: `burst-${acc}-${i}` }))),
    );
    const outcomes = results.map(({ res }) => (res.status === 201 ? 'created' : `${res.status} ${code(res.body)}`));
    expect(outcomes.filter((o) => o === 'created').length).toBe(100);
    expect(outcomes.filter((o) => o === '422 INSUFFICIENT_FUNDS').length).toBe(100);
    const ids = results.filter(({ res }) => res.status === 201).map(({ res }) => res.body.id);
    expect(new Set(ids).size).toBe(100);
    console.info(`200 parallel withdrawals: ${results.reduce((n, r) => n + r.retried, 0)} retried answers`);

    expect(await balance(alice, acc)).toEqual({ available: 0n, frozen: 100n * total });
    expect(await countRows('SELECT COUNT(*) AS n FROM withdrawals WHERE account_id = ?', [acc])).toBe(100);
    expect(await countRows("SELECT COUNT(*) AS n FROM withdrawals WHERE account_id = ? AND status = 'pending_review'", [acc])).toBe(100);
    expect(await fixtures.invariants()).toEqual([]);
  });
});

describe('cancel', () => {
  it('releases amount + fee exactly once; a second cancel is WITHDRAWAL_NOT_CANCELLABLE and changes nothing', async () => {
    const acc = await openAccount(alice, FUND);
    const created = await withdraw(alice, acc, { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() });
    expect(created.status).toBe(201);
    const id = created.body.id;

    const key = randomUUID();
    const res = await alice.post<Withdrawal>(`/v1/withdrawals/${id}/cancel`, {}, { idempotencyKey: key });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...created.body, status: 'cancelled', updatedAt: expect.any(String) });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(res.body.createdAt));
    expect(await balance(alice, acc)).toEqual({ available: FUND, frozen: 0n });
    expect(await ledgerLines(acc, id, 'withdrawal_release')).toEqual([
      ['available', total.toString()],
      ['frozen', (-total).toString()],
    ]);
    expect(await countRows('SELECT COUNT(*) AS n FROM journal WHERE entry_id = ?', [`${id}:release`])).toBe(2);
    expect(await events(id)).toEqual([
      { from: null, to: 'pending_review', actor: `client:${aliceId}` },
      { from: 'pending_review', to: 'cancelled', actor: `client:${aliceId}` },
    ]);
    expect((await alice.get<Withdrawal>(`/v1/withdrawals/${id}`)).body).toEqual(res.body);

    // A retry of the same request is the same answer; a new cancel is refused.
    const replay = await alice.post<Withdrawal>(`/v1/withdrawals/${id}/cancel`, {}, { idempotencyKey: key });
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(replay.body).toEqual(res.body);
    const again = await refusedWithoutEffect(() => alice.post(`/v1/withdrawals/${id}/cancel`, {}), 409, 'WITHDRAWAL_NOT_CANCELLABLE');
    expect(again.body.error.details).toMatchObject({ status: 'cancelled' });
    expect(await ledgerLines(acc, id, 'withdrawal_release')).toHaveLength(2);
    expect(await events(id)).toHaveLength(2);
  });

  it('an approved withdrawal cannot be cancelled and its funds stay frozen', async () => {
    const acc = await openAccount(alice, FUND);
    const created = await withdraw(alice, acc, { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // The row as transrv moves it on signsrv's approval (the event row and signsrv's decision are not this test's
    // business: a row that says approved is never released by a cancel outside a hold, whatever signsrv recorded).
    await fixtures.db.raw("UPDATE withdrawals SET status = 'approved' WHERE id = ?", [id]);

    const res = await refusedWithoutEffect(() => alice.post(`/v1/withdrawals/${id}/cancel`, {}), 409, 'WITHDRAWAL_NOT_CANCELLABLE');
    expect(res.body.error.details).toMatchObject({ status: 'approved' });
    expect(await balance(alice, acc)).toEqual({ available: FUND - total, frozen: total });
    expect((await alice.get<Withdrawal>(`/v1/withdrawals/${id}`)).body.status).toBe('approved');
    expect(await ledgerLines(acc, id, 'withdrawal_release')).toEqual([]);
  });

  it("another client's withdrawal is NOT_FOUND (404) to cancel and to read; so is one that does not exist", async () => {
    const acc = await openAccount(alice, FUND);
    const created = await withdraw(alice, acc, { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() });
    expect(created.status).toBe(201);
    const id = created.body.id;

    await refusedWithoutEffect(() => bob.post(`/v1/withdrawals/${id}/cancel`, {}), 404, 'NOT_FOUND');
    await refusedWithoutEffect(() => bob.get(`/v1/withdrawals/${id}`), 404, 'NOT_FOUND');
    await refusedWithoutEffect(() => alice.get(`/v1/withdrawals/${NO_SUCH_WITHDRAWAL}`), 404, 'NOT_FOUND');
    await refusedWithoutEffect(() => alice.post(`/v1/withdrawals/${NO_SUCH_WITHDRAWAL}/cancel`, {}), 404, 'NOT_FOUND');
    expect((await alice.get<Withdrawal>(`/v1/withdrawals/${id}`)).body.status).toBe('pending_review');
    expect(await balance(alice, acc)).toEqual({ available: FUND - total, frozen: total });
  });

  it('a cancel body with any field, or without Idempotency-Key, is VALIDATION_FAILED', async () => {
    const acc = await openAccount(alice, FUND);
    const created = await withdraw(alice, acc, { asset: 'ETH', to: CHECKSUMMED, amount: min.toString() });
    const id = created.body.id;
    await refusedWithoutEffect(() => alice.post(`/v1/withdrawals/${id}/cancel`, { status: 'cancelled' }), 400, 'VALIDATION_FAILED');
    await refusedWithoutEffect(() => alice.post(`/v1/withdrawals/${id}/cancel`, {}, { idempotencyKey: null }), 400, 'VALIDATION_FAILED');
    await refusedWithoutEffect(() => alice.post('/v1/withdrawals/not%20an%20id/cancel', {}), 400, 'VALIDATION_FAILED');
    expect((await alice.get<Withdrawal>(`/v1/withdrawals/${id}`)).body.status).toBe('pending_review');
  });
});
