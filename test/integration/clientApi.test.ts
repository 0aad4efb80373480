import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient, walletctl } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { ltcRpcUrl } from '../harness/litecoind.js';

type ErrorBody = { error: { code: string; message: string; details: Record<string, unknown> } };
type Account = { id: string; externalId: string; createdAt: string };
type Balance = { asset: string; available: string; frozen: string; pending: string };

let cluster: Cluster;
let fixtures: LedgerFixtures;
let alice: ApiClient; // one exchange
let bob: ApiClient; // another exchange
let a1: Account; // alice's accounts
let a2: Account;
let b1: Account; // bob's account

const code = (body: unknown) => (body as ErrorBody).error?.code;

async function openAccount(api: ApiClient, externalId = `user-${randomUUID()}`): Promise<Account> {
  const res = await api.post<Account>('/v1/accounts', { externalId });
  expect(res.status).toBe(201);
  return res.body;
}

async function balance(api: ApiClient, accountId: string, asset = 'ETH'): Promise<Balance> {
  const res = await api.get<{ data: Balance[] }>(`/v1/accounts/${accountId}/balances`);
  expect(res.status).toBe(200);
  return res.body.data.find((b) => b.asset === asset)!;
}

/** Asserts the request was refused with `status`/`errorCode` and that no money moved. */
async function refusedWithoutEffect(send: () => Promise<{ status: number; body: unknown }>, status: number, errorCode: string) {
  const before = await fixtures.snapshot();
  const res = await send();
  expect({ status: res.status, code: code(res.body) }).toEqual({ status, code: errorCode });
  expect(res.body).toMatchObject({ error: { message: expect.any(String), details: expect.any(Object) } });
  expect(await fixtures.snapshot()).toEqual(before);
  return res;
}

beforeAll(async () => {
  // eth and ltc are scanned; btc is configured in the registry but has no node (no address is issued there).
  cluster = await Cluster.start({
    chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl },
    extraEnv: { GATESRV_CREDENTIAL_CACHE_MS: '500' },
  });
  fixtures = new LedgerFixtures(cluster.database);
  alice = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Alice'));
  bob = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Bob'));
  a1 = await openAccount(alice);
  a2 = await openAccount(alice);
  b1 = await openAccount(bob);
  await fixtures.fund(a1.id, 'ETH', 1_000_000n);
  await fixtures.fund(b1.id, 'ETH', 1_000_000n);
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

describe('GET /v1/assets', () => {
  it('lists every asset with decimals, confirmations and limits as strings', async () => {
    const res = await alice.get<{ data: { asset: string }[] }>('/v1/assets');
    expect(res.status).toBe(200);
    // This cluster has nodes for eth and ltc (scanned, paid), none for btc; transfers work for every asset.
    expect(res.body.data).toContainEqual({
      asset: 'ETH',
      chain: 'eth',
      chainKind: 'evm',
      network: 'regtest',
      evmChainId: 31337,
      decimals: 18,
      confirmations: 3,
      minWithdrawal: '1000000000000000',
      withdrawalFee: '100000000000000',
      deposits: true,
      withdrawals: true,
      transfers: true,
    });
    expect(res.body.data).toContainEqual(
      expect.objectContaining({ asset: 'LTC', chainKind: 'utxo', deposits: true, withdrawals: true, transfers: true }),
    );
    expect(res.body.data).toContainEqual(
      expect.objectContaining({ asset: 'BTC', chainKind: 'utxo', deposits: false, withdrawals: false, transfers: true }),
    );
    expect(res.body.data.map((a) => a.asset)).toEqual(['BTC', 'ETH', 'LTC']);
  });
});

describe('accounts', () => {
  it('the same externalId returns the same account with 200', async () => {
    const externalId = `user-${randomUUID()}`;
    const first = await alice.post<Account>('/v1/accounts', { externalId });
    const again = await alice.post<Account>('/v1/accounts', { externalId });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    // Another exchange's user with the same external id is another account.
    const other = await bob.post<Account>('/v1/accounts', { externalId });
    expect(other.status).toBe(201);
    expect(other.body.id).not.toBe(first.body.id);
  });

  it('GET returns the account; balances list every asset at zero', async () => {
    const fresh = await openAccount(alice);
    expect((await alice.get(`/v1/accounts/${fresh.id}`)).body).toEqual(fresh);
    const res = await alice.get<{ data: Balance[] }>(`/v1/accounts/${fresh.id}/balances`);
    expect(res.body.data).toEqual(['BTC', 'ETH', 'LTC'].map((asset) => ({ asset, available: '0', frozen: '0', pending: '0' })));
  });

  it.each([
    ['no externalId', {}],
    ['a number', { externalId: 42 }],
    ['an empty string', { externalId: '' }],
    ['spaces', { externalId: 'a b' }],
    ['129 characters', { externalId: 'x'.repeat(129) }],
    ['an unknown field', { externalId: 'ok', nodeId: 't1' }],
  ])('refuses a body with %s', async (_name, body) => {
    await refusedWithoutEffect(() => alice.post('/v1/accounts', body), 400, 'VALIDATION_FAILED');
  });
});

describe('deposit addresses', () => {
  it('gives a new address each call, per chain, and lists them newest first with pagination', async () => {
    const acc = await openAccount(alice);
    const made = [];
    for (const chain of ['eth', 'ltc', 'ltc', 'eth']) {
      const res = await alice.post<{ chain: string; address: string; index: number; createdAt: string }>(
        `/v1/accounts/${acc.id}/addresses`,
        { chain },
      );
      expect(res.status).toBe(201);
      made.push(res.body);
    }
    expect(made[0]!.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(made[1]!.address).toMatch(/^rltc1q/);
    expect(made[2]!.address).toMatch(/^rltc1q/);
    expect(made[2]!.address).not.toBe(made[1]!.address);
    expect(made[3]!.address).not.toBe(made[0]!.address);
    expect(made[3]!.index).toBeGreaterThan(made[0]!.index);

    const page1 = await alice.get<{ data: { address: string }[]; nextCursor: string | null }>(`/v1/accounts/${acc.id}/addresses?limit=3`);
    expect(page1.body.data.map((a) => a.address)).toEqual([made[3]!.address, made[2]!.address, made[1]!.address]);
    const page2 = await alice.get<{ data: { address: string }[]; nextCursor: string | null }>(
      `/v1/accounts/${acc.id}/addresses?limit=3&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.data.map((a) => a.address)).toEqual([made[0]!.address]);
    expect(page2.body.nextCursor).toBeNull();
    const eth = await alice.get<{ data: { chain: string }[] }>(`/v1/accounts/${acc.id}/addresses?chain=eth`);
    expect(eth.body.data.map((a) => a.chain)).toEqual(['eth', 'eth']);
  });

  it('a retried POST with the same Idempotency-Key returns the same address', async () => {
    const key = randomUUID();
    const first = await alice.post<{ address: string }>(`/v1/accounts/${a1.id}/addresses`, { chain: 'ltc' }, { idempotencyKey: key });
    const again = await alice.post<{ address: string }>(`/v1/accounts/${a1.id}/addresses`, { chain: 'ltc' }, { idempotencyKey: key });
    expect(again.body.address).toBe(first.body.address);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('an unknown chain is UNSUPPORTED_CHAIN; a malformed one is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(() => alice.post(`/v1/accounts/${a1.id}/addresses`, { chain: 'doge' }), 422, 'UNSUPPORTED_CHAIN');
    await refusedWithoutEffect(() => alice.post(`/v1/accounts/${a1.id}/addresses`, { chain: 'ETH!' }), 400, 'VALIDATION_FAILED');
    await refusedWithoutEffect(() => alice.get(`/v1/accounts/${a1.id}/addresses?chain=doge`), 422, 'UNSUPPORTED_CHAIN');
  });

  it('a chain in the registry that no scanner watches (btc: no node RPC) is UNSUPPORTED_CHAIN not_scanned', async () => {
    const res = await refusedWithoutEffect(() => alice.post(`/v1/accounts/${a1.id}/addresses`, { chain: 'btc' }), 422, 'UNSUPPORTED_CHAIN');
    expect(res.body).toMatchObject({ error: { details: { chain: 'btc', reason: 'not_scanned' } } });
    expect(await fixtures.db('addresses').where({ chain: 'btc' }).count({ n: '*' })).toEqual([{ n: '0' }]);
  });
});

describe('internal transfers and the ledger', () => {
  it('moves funds between two accounts of one client and records both sides with balanceAfter', async () => {
    const from = await openAccount(alice);
    const to = await openAccount(alice);
    await fixtures.fund(from.id, 'ETH', 1000n);
    const res = await alice.post<{ id: string; status: string }>('/v1/transfers', {
      from: from.id,
      to: to.id,
      asset: 'ETH',
      amount: '250',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      from: from.id,
      to: to.id,
      asset: 'ETH',
      amount: '250',
      status: 'completed',
      createdAt: expect.any(String),
    });
    expect((await balance(alice, from.id)).available).toBe('750');
    expect((await balance(alice, to.id)).available).toBe('250');

    const ledger = await alice.get<{ data: { amount: string; kind: string; refId: string; balanceAfter: string }[] }>(
      `/v1/accounts/${from.id}/ledger`,
    );
    expect(ledger.body.data.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ['transfer_out', '-250', '750'],
      ['deposit', '1000', '1000'],
    ]);
    expect(ledger.body.data[0]!.refId).toBe(res.body.id);
    const incoming = await alice.get<{ data: { amount: string; kind: string }[] }>(`/v1/accounts/${to.id}/ledger?asset=ETH`);
    expect(incoming.body.data.map((e) => [e.kind, e.amount])).toEqual([['transfer_in', '250']]);
  });

  it('pages the ledger newest first with an opaque cursor', async () => {
    const acc = await openAccount(alice);
    for (let i = 1; i <= 5; i++) await fixtures.fund(acc.id, 'ETH', BigInt(i));
    const p1 = await alice.get<{ data: { amount: string }[]; nextCursor: string | null }>(`/v1/accounts/${acc.id}/ledger?limit=2`);
    const p2 = await alice.get<{ data: { amount: string }[]; nextCursor: string | null }>(
      `/v1/accounts/${acc.id}/ledger?limit=2&cursor=${p1.body.nextCursor}`,
    );
    const p3 = await alice.get<{ data: { amount: string }[]; nextCursor: string | null }>(
      `/v1/accounts/${acc.id}/ledger?limit=2&cursor=${p2.body.nextCursor}`,
    );
    expect([...p1.body.data, ...p2.body.data, ...p3.body.data].map((e) => e.amount)).toEqual(['5', '4', '3', '2', '1']);
    expect(p3.body.nextCursor).toBeNull();
  });

  it('an overdraft is INSUFFICIENT_FUNDS and changes nothing', async () => {
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: a2.id, to: a1.id, asset: 'ETH', amount: '1' }),
      422,
      'INSUFFICIENT_FUNDS',
    );
  });

  it('the same Idempotency-Key replays the first response; with another body it is IDEMPOTENCY_KEY_REUSED', async () => {
    const key = randomUUID();
    const body = { from: a1.id, to: a2.id, asset: 'ETH', amount: '7' };
    const first = await alice.post<{ id: string }>('/v1/transfers', body, { idempotencyKey: key });
    const before = await fixtures.snapshot();
    const again = await alice.post<{ id: string }>('/v1/transfers', body, { idempotencyKey: key });
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await fixtures.snapshot()).toEqual(before);
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { ...body, amount: '8' }, { idempotencyKey: key }),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('50 parallel copies of one request with one Idempotency-Key create one transfer', async () => {
    const key = randomUUID();
    const before = await balance(alice, a1.id);
    const body = { from: a1.id, to: a2.id, asset: 'ETH', amount: '3' };
    const results = await Promise.all(
      Array.from({ length: 50 }, () => alice.post<{ id: string }>('/v1/transfers', body, { idempotencyKey: key })),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    // The rest were told to wait (in progress), never given a second transfer.
    for (const r of results.filter((r) => r.status !== 201)) expect([r.status, code(r.body)]).toEqual([409, 'IDEMPOTENCY_IN_PROGRESS']);
    expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
    const [[{ n }]] = (await fixtures.db.raw('SELECT COUNT(*) AS n FROM transfers WHERE idempotency_key = ?', [key])) as [[{ n: number }]];
    expect(Number(n)).toBe(1);
    expect(BigInt((await balance(alice, a1.id)).available)).toBe(BigInt(before.available) - 3n);
  });

  it.each([
    ['a negative amount', { amount: '-1' }],
    ['a fractional amount', { amount: '1.5' }],
    ['an exponent', { amount: '1e3' }],
    ['a leading plus', { amount: '+1' }],
    ['an empty amount', { amount: '' }],
    ['a zero amount', { amount: '0' }],
    ['a leading zero', { amount: '01' }],
    ['a number instead of a string', { amount: 5 }],
    ['an amount over 2^256-1', { amount: (1n << 256n).toString() }],
    ['an unknown field', { status: 'completed' }],
    ['a fee field', { fee: '0' }],
    ['no asset', { asset: undefined }],
    ['a lower-case asset', { asset: 'eth' }],
  ])('refuses %s with VALIDATION_FAILED', async (_name, patch) => {
    const body = { from: a1.id, to: a2.id, asset: 'ETH', amount: '1', ...patch };
    await refusedWithoutEffect(() => alice.post('/v1/transfers', body), 400, 'VALIDATION_FAILED');
  });

  it('an unknown asset is UNSUPPORTED_ASSET', async () => {
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: a1.id, to: a2.id, asset: 'DOGE', amount: '1' }),
      422,
      'UNSUPPORTED_ASSET',
    );
  });

  it('a transfer to the same account is refused', async () => {
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: a1.id, to: a1.id, asset: 'ETH', amount: '1' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('an amount beyond any balance but within 2^256-1 is INSUFFICIENT_FUNDS', async () => {
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: a1.id, to: a2.id, asset: 'ETH', amount: ((1n << 256n) - 1n).toString() }),
      422,
      'INSUFFICIENT_FUNDS',
    );
  });
});

describe('tenancy: another client never sees or moves an account (404, never 403)', () => {
  it.each([
    ['GET account', () => bob.get(`/v1/accounts/${a1.id}`)],
    ['GET balances', () => bob.get(`/v1/accounts/${a1.id}/balances`)],
    ['GET ledger', () => bob.get(`/v1/accounts/${a1.id}/ledger`)],
    ['GET addresses', () => bob.get(`/v1/accounts/${a1.id}/addresses`)],
    ['POST address', () => bob.post(`/v1/accounts/${a1.id}/addresses`, { chain: 'eth' })],
    ['transfer out of it', () => bob.post('/v1/transfers', { from: a1.id, to: b1.id, asset: 'ETH', amount: '1' })],
    ['transfer into it', () => bob.post('/v1/transfers', { from: b1.id, to: a1.id, asset: 'ETH', amount: '1' })],
    ['an account that does not exist', () => alice.get('/v1/accounts/acc_01J00000000000000000000000/balances')],
  ])('%s', async (_name, send) => {
    await refusedWithoutEffect(send, 404, 'ACCOUNT_NOT_FOUND');
  });
});

describe('authentication: every bad signature is 401 and changes nothing', () => {
  const transfer = () => ({ from: a1.id, to: a2.id, asset: 'ETH', amount: '1' });

  it.each(['x-api-key', 'x-timestamp', 'x-nonce', 'x-signature'])('missing %s', async (header) => {
    await refusedWithoutEffect(() => alice.post('/v1/transfers', transfer(), { headers: { [header]: '' } }), 401, 'UNAUTHENTICATED');
  });

  it.each([
    ['31 s old', -31_000],
    ['31 s in the future', 31_000],
  ])('a timestamp %s', async (_name, skew) => {
    await refusedWithoutEffect(() => alice.post('/v1/transfers', transfer(), { timestamp: Date.now() + skew }), 401, 'UNAUTHENTICATED');
  });

  it('a replayed nonce', async () => {
    const nonce = `nonce-${randomUUID()}`;
    expect((await alice.get(`/v1/accounts/${a1.id}`, { nonce })).status).toBe(200);
    await refusedWithoutEffect(() => alice.post('/v1/transfers', transfer(), { nonce }), 401, 'UNAUTHENTICATED');
    await refusedWithoutEffect(() => alice.get(`/v1/accounts/${a1.id}`, { nonce }), 401, 'UNAUTHENTICATED');
  });

  it.each([
    ['too short', 'short'],
    ['with illegal characters', 'nonce with spaces!!!!'],
    ['too long', 'n'.repeat(65)],
  ])('a nonce %s', async (_name, nonce) => {
    await refusedWithoutEffect(() => alice.post('/v1/transfers', transfer(), { nonce }), 401, 'UNAUTHENTICATED');
  });

  it('a wrong secret', async () => {
    await refusedWithoutEffect(() => alice.post('/v1/transfers', transfer(), { secret: 'not-the-secret' }), 401, 'UNAUTHENTICATED');
  });

  it('an unknown key', async () => {
    const stranger = new ApiClient(cluster.gatewayUrl, { keyId: 'key_000000000000000000000000', secret: 'x' });
    await refusedWithoutEffect(() => stranger.post('/v1/transfers', transfer()), 401, 'UNAUTHENTICATED');
  });

  it('a tampered body (signed one amount, sent another)', async () => {
    const signed = JSON.stringify(transfer());
    const sent = JSON.stringify({ ...transfer(), amount: '900000' });
    await refusedWithoutEffect(() => alice.post('/v1/transfers', signed, { sendBody: sent }), 401, 'UNAUTHENTICATED');
  });

  it('a tampered path (signed for one account, sent for another)', async () => {
    const res = await alice.send('GET', `/v1/accounts/${a1.id}/balances`, undefined, {});
    expect(res.status).toBe(200);
    const signedFor = (await import('@wallet/client-auth')).signRequest({
      keyId: alice.credentials.keyId,
      secret: alice.credentials.secret,
      method: 'GET',
      pathWithQuery: `/v1/accounts/${a1.id}/balances`,
    });
    const tampered = await fetch(`${cluster.gatewayUrl}/v1/accounts/${a2.id}/balances`, { headers: { ...signedFor } });
    expect(tampered.status).toBe(401);
    expect(code(await tampered.json())).toBe('UNAUTHENTICATED');
  });

  it('a disabled client stops working', async () => {
    const creds = await createApiClient(cluster, 'Exchange Soon Gone');
    const gone = new ApiClient(cluster.gatewayUrl, creds);
    const acc = await openAccount(gone);
    expect((await walletctl(cluster, 'clients', 'disable', creds.clientId)).code).toBe(0);
    await new Promise((r) => setTimeout(r, 600)); // the gateway's credential cache (500 ms in this cluster)
    await refusedWithoutEffect(() => gone.get(`/v1/accounts/${acc.id}`), 401, 'UNAUTHENTICATED');
  });
});

describe('other bad input', () => {
  it('a POST without Idempotency-Key is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: a1.id, to: a2.id, asset: 'ETH', amount: '1' }, { idempotencyKey: null }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('an Idempotency-Key over 64 characters is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(
      () => alice.post('/v1/transfers', { from: a1.id, to: a2.id, asset: 'ETH', amount: '1' }, { idempotencyKey: 'k'.repeat(65) }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('a body that is not JSON is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(() => alice.post('/v1/transfers', '{"from": '), 400, 'VALIDATION_FAILED');
  });

  it('a JSON array or string body is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(() => alice.post('/v1/transfers', '[1,2]'), 400, 'VALIDATION_FAILED');
    await refusedWithoutEffect(() => alice.post('/v1/accounts', '"x"'), 400, 'VALIDATION_FAILED');
  });

  it('a body over the size limit is PAYLOAD_TOO_LARGE', async () => {
    const res = await alice.post('/v1/accounts', { externalId: 'x'.repeat(70_000) });
    expect([res.status, code(res.body)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it.each(['limit=0', 'limit=201', 'limit=abc', 'limit=-1', 'cursor=not-a-cursor', 'sort=asc'])(
    'a bad query %s is VALIDATION_FAILED',
    async (query) => {
      await refusedWithoutEffect(() => alice.get(`/v1/accounts/${a1.id}/ledger?${query}`), 400, 'VALIDATION_FAILED');
    },
  );

  it('an account id with illegal characters is VALIDATION_FAILED', async () => {
    await refusedWithoutEffect(() => alice.get('/v1/accounts/acc%20x/balances'), 400, 'VALIDATION_FAILED');
  });

  it('an unknown route is NOT_FOUND', async () => {
    const res = await alice.get('/v1/nothing-here');
    expect([res.status, code(res.body)]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a key exceeds its budget, shared by gateways', async () => {
    // A second, strict gateway in the same cluster: gateways are stateless and share Redis.
    const strict = cluster.spawnRaw('gatesrv', 'gatesrv-strict', { GATESRV_HTTP_ADDR: '127.0.0.1:0', GATESRV_RATE_LIMIT_PER_SECOND: '5' });
    const ready = await strict.waitForLog((l) => l.msg === 'ready');
    const limited = new ApiClient(String(ready['url']), await createApiClient(cluster, 'Exchange Busy'));
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 40 }, () => limited.get('/v1/assets')));
    const seconds = (Date.now() - started) / 1000;
    const refused = results.filter((r) => r.status === 429);
    // 5 per second: a burst of 5, then one more every 200 ms while the burst is being answered.
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(5 + Math.ceil(seconds * 5));
    expect(refused.length).toBeGreaterThanOrEqual(20);
    expect(code(refused[0]!.body)).toBe('RATE_LIMITED');
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await strict.stop();
  });
});
