// Traceability, rate-limit headers and key management through a whole cluster on the local stack (issue 15): a
// client's request id is answered back and found in the log lines of gatesrv and of the transrv (and accountsrv) it
// reached; RateLimit-* headers count down to a 429; each scope refuses what it does not allow (nothing done, the
// Idempotency-Key not claimed); allow-lists refuse and accept by the socket's address (the cluster is on loopback);
// a disabled key stops on the gateway within 1 s; a rotated key's old secret works in the overlap only.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, ApiClient, type Credentials } from '../harness/ApiClient.js';
import { createApiClient, walletctl } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import type { LogLine, ServiceProcess } from '@wallet/launcher';

type ErrorBody = { error: { code: string; details: Record<string, unknown> } };
type AccountBody = { id: string };

let cluster: Cluster;
let owner: Credentials & { clientId: string };
let api: ApiClient;
let accountA: string;
let accountB: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const traceId = (what: string) => `it-${what}.${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1', 't2'] });
  owner = await createApiClient(cluster, 'Traced Exchange');
  api = new ApiClient(cluster.gatewayUrl, owner);
  const created = await Promise.all(['trace-a', 'trace-b'].map((externalId) => api.post<AccountBody>('/v1/accounts', { externalId })));
  for (const r of created) expect(r.status).toBe(201);
  [accountA, accountB] = created.map((r) => r.body.id) as [string, string];
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Issues another key of the owner's client with `walletctl clients keys add`. */
async function addKey(scopes: string, allowIp?: string): Promise<Credentials> {
  const args = ['clients', 'keys', 'add', '--client', owner.clientId, '--scopes', scopes, '--json'];
  const { code, out, err } = await walletctl(cluster, ...args, ...(allowIp === undefined ? [] : ['--allow-ip', allowIp]));
  expect(code, err.join('\n')).toBe(0);
  const parsed = JSON.parse(out.join('\n')) as { keyId: string; secret: string; scopes: string[] };
  expect(parsed.scopes).toEqual(scopes.split(','));
  return { keyId: parsed.keyId, secret: parsed.secret };
}

const lineWith = (process: ServiceProcess, match: (l: LogLine) => boolean) => process.waitForLog(match, 10_000);

describe('request ids', () => {
  it("a client's X-Request-Id is answered back and carried by every log line of the request in gatesrv and transrv", async () => {
    const id = traceId('balances');
    const r = await api.get(`/v1/accounts/${accountA}/balances`, { headers: { 'x-request-id': id } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe(id);

    const access = await lineWith(cluster.process('gatesrv'), (l) => l.msg === 'access' && l['requestId'] === id);
    expect(access).toMatchObject({ method: 'GET', route: '/v1/accounts/:id/balances', status: 200, keyId: owner.keyId });
    expect(typeof access['ms']).toBe('number');
    expect(JSON.stringify(access)).not.toContain(accountA);
    // The account's node served it: its 'rpc' line carries the same id.
    const nodes = [cluster.process('transrv-t1'), cluster.process('transrv-t2')];
    const served = await Promise.any(nodes.map((p) => lineWith(p, (l) => l.msg === 'rpc' && l['requestId'] === id)));
    expect(served).toMatchObject({ code: 'OK', method: expect.stringContaining('/wallet.v1.TransService/') });
  });

  it('a request reaching accountsrv and a transrv node (a transfer) is traced in all three', async () => {
    const id = traceId('transfer');
    const r = await api.post<ErrorBody>(
      '/v1/transfers',
      { from: accountA, to: accountB, asset: 'ETH', amount: '1' },
      { headers: { 'x-request-id': id } },
    );
    // Nothing funded: refused by the ledger, which is still a request that reached transrv.
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('INSUFFICIENT_FUNDS');
    expect(r.headers.get('x-request-id')).toBe(id);
    await lineWith(cluster.process('gatesrv'), (l) => l.msg === 'access' && l['requestId'] === id && l['status'] === 422);
    const nodes = [cluster.process('transrv-t1'), cluster.process('transrv-t2')];
    const refused = await Promise.any(nodes.map((p) => lineWith(p, (l) => l.msg === 'rpc' && l['requestId'] === id)));
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });

    const created = traceId('create');
    const account = await api.post('/v1/accounts', { externalId: `trace-${created}` }, { headers: { 'x-request-id': created } });
    expect(account.status).toBe(201);
    const accountsrvLines = cluster.process('accountsrv');
    await lineWith(accountsrvLines, (l) => l.msg === 'account bound' && l['requestId'] === created);
    await lineWith(accountsrvLines, (l) => l.msg === 'rpc' && l['requestId'] === created && l['code'] === 'OK');
  });

  it('a malformed X-Request-Id is replaced by a fresh id, never echoed or logged; refusals carry one too', async () => {
    const bad = 'bad id; drop table';
    const r = await api.get('/v1/assets', { headers: { 'x-request-id': bad } });
    expect(r.status).toBe(200);
    const given = r.headers.get('x-request-id')!;
    expect(given).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await lineWith(cluster.process('gatesrv'), (l) => l.msg === 'access' && l['requestId'] === given);
    expect(JSON.stringify(cluster.process('gatesrv').lines)).not.toContain('drop table');

    const unsigned = await fetch(`${cluster.gatewayUrl}/v1/assets`, { headers: { 'x-request-id': 'unsigned-1' } });
    expect(unsigned.status).toBe(401);
    expect(unsigned.headers.get('x-request-id')).toBe('unsigned-1');
    const noRoute = await fetch(`${cluster.gatewayUrl}/v2/nothing`, { headers: { 'x-request-id': 'no-route-1' } });
    expect(noRoute.status).toBe(404);
    expect(noRoute.headers.get('x-request-id')).toBe('no-route-1');
    const big = await api.post('/v1/accounts', { externalId: 'x'.repeat(70_000) }, { headers: { 'x-request-id': 'too-big-1' } });
    expect(big.status).toBe(413);
    expect(big.headers.get('x-request-id')).toBe('too-big-1');
  });
});

describe('rate-limit headers', () => {
  it('every signed answer carries RateLimit-*; on a gateway with a budget of 3 they count down to a 429 with Retry-After', async () => {
    const r = await api.get('/v1/assets');
    expect(r.headers.get('ratelimit-limit')).toBe('1000');
    expect(Number(r.headers.get('ratelimit-remaining'))).toBeGreaterThan(900);
    expect(r.headers.get('ratelimit-reset')).toMatch(/^\d+$/);

    const limited = cluster.spawnRaw('gatesrv', 'gatesrv-limited', {
      GATESRV_HTTP_ADDR: '127.0.0.1:0',
      GATESRV_RATE_LIMIT_PER_SECOND: '3',
    });
    const ready = await limited.waitForLog((l) => l.msg === 'ready' && typeof l['url'] === 'string', 60_000);
    // A key of its own, so that no other request spends its budget.
    const key = await addKey('read');
    const client = new ApiClient(String(ready['url']), key);
    const answers: ApiResponse<ErrorBody>[] = [];
    for (let i = 0; i < 20 && answers.at(-1)?.status !== 429; i++) answers.push(await client.get<ErrorBody>('/v1/assets'));
    const last = answers.at(-1)!;
    expect(last.status).toBe(429);
    expect(last.body.error.code).toBe('RATE_LIMITED');
    expect(last.headers.get('retry-after')).toBe('1');
    expect([last.headers.get('ratelimit-limit'), last.headers.get('ratelimit-remaining')]).toEqual(['3', '0']);
    expect(Number(last.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    const remaining = answers.slice(0, -1).map((a) => Number(a.headers.get('ratelimit-remaining')));
    expect(remaining[0]).toBe(2);
    for (let i = 1; i < remaining.length; i++) expect(remaining[i]).toBeLessThan(remaining[i - 1]!);
    expect(remaining.at(-1)).toBe(0);
    await limited.stop();
  });
});

describe('key scopes', () => {
  let read: ApiClient;
  let transfer: ApiClient;
  let withdraw: ApiClient;
  beforeAll(async () => {
    [read, transfer, withdraw] = (await Promise.all([addKey('read'), addKey('transfer'), addKey('withdraw')])).map(
      (key) => new ApiClient(cluster.gatewayUrl, key),
    ) as [ApiClient, ApiClient, ApiClient];
  });

  const expectScopeRefusal = (r: ApiResponse<ErrorBody>, required: string) => {
    expect(r.status).toBe(403);
    expect(r.body.error).toEqual({ code: 'INSUFFICIENT_SCOPE', message: expect.any(String), details: { required } });
    expect(r.headers.get('ratelimit-limit')).toBe('1000');
  };

  it('read: every GET and creating accounts and addresses; refused to a key without it', async () => {
    expect((await read.get(`/v1/accounts/${accountA}`)).status).toBe(200);
    expect((await read.post('/v1/accounts', { externalId: 'made-by-reader' })).status).toBe(201);
    expect((await read.post(`/v1/accounts/${accountA}/addresses`, { chain: 'eth' })).status).toBe(201);
    expectScopeRefusal(await transfer.get<ErrorBody>(`/v1/accounts/${accountA}`), 'read');
    expectScopeRefusal(await withdraw.get<ErrorBody>('/v1/assets'), 'read');
    expectScopeRefusal(await withdraw.post<ErrorBody>('/v1/accounts', { externalId: 'made-by-withdrawer' }), 'read');
    // Nothing was created by the refusal.
    const found = await read.get<{ data: unknown[] }>('/v1/accounts?externalId=made-by-withdrawer');
    expect(found.body.data).toEqual([]);
  });

  it('transfer: POST /v1/transfers only; a refusal claims no Idempotency-Key', async () => {
    const body = { from: accountA, to: accountB, asset: 'ETH', amount: '5' };
    const key = `scope-${randomBytes(6).toString('hex')}`;
    expectScopeRefusal(await read.post<ErrorBody>('/v1/transfers', body, { idempotencyKey: key }), 'transfer');
    expectScopeRefusal(await withdraw.post<ErrorBody>('/v1/transfers', body, { idempotencyKey: key }), 'transfer');
    // The same key, now with the scope: the request runs (the ledger refuses it: nothing funded), not a replayed 403.
    const allowed = await transfer.post<ErrorBody>('/v1/transfers', body, { idempotencyKey: key });
    expect(allowed.status).toBe(422);
    expect(allowed.body.error.code).toBe('INSUFFICIENT_FUNDS');
    expect(allowed.headers.get('idempotent-replayed')).toBeNull();
    expectScopeRefusal(
      await transfer.post<ErrorBody>(`/v1/accounts/${accountA}/withdrawals`, {
        asset: 'ETH',
        to: '0x1111111111111111111111111111111111111111',
        amount: '1',
      }),
      'withdraw',
    );
  });

  it('withdraw: requesting and cancelling withdrawals only', async () => {
    const request = { asset: 'ETH', to: '0x2222222222222222222222222222222222222222', amount: '1000000000000000' };
    expectScopeRefusal(await read.post<ErrorBody>(`/v1/accounts/${accountA}/withdrawals`, request), 'withdraw');
    expectScopeRefusal(await read.post<ErrorBody>('/v1/withdrawals/wd_nope/cancel', {}), 'withdraw');
    const allowed = await withdraw.post<ErrorBody>(`/v1/accounts/${accountA}/withdrawals`, request);
    expect(allowed.status).toBe(422);
    expect(allowed.body.error.code).toBe('INSUFFICIENT_FUNDS');
    expect((await withdraw.post<ErrorBody>('/v1/withdrawals/wd_nope/cancel', {})).status).toBe(404);
    // No withdrawal came of any of it.
    expect((await read.get<{ data: unknown[] }>(`/v1/accounts/${accountA}/withdrawals`)).body.data).toEqual([]);
  });

  it('keys list shows each key with its scopes and sources, never a secret', async () => {
    const { code, out } = await walletctl(cluster, 'clients', 'keys', 'list', '--client', owner.clientId, '--json');
    expect(code).toBe(0);
    const keys = JSON.parse(out.join('\n')) as { keyId: string; scopes: string[]; allowedCidrs: string[]; status: string }[];
    expect(keys[0]).toMatchObject({ keyId: owner.keyId, scopes: ['read', 'transfer', 'withdraw'], allowedCidrs: [], status: 'active' });
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expect(out.join('\n')).not.toContain(owner.secret);
  });
});

describe('source allow-lists (the cluster is on loopback)', () => {
  it('a key allowed from 10.0.0.0/8 is refused from 127.0.0.1, even with X-Forwarded-For; one allowed from 127.0.0.0/8 works', async () => {
    const office = new ApiClient(cluster.gatewayUrl, await addKey('read,withdraw', '10.0.0.0/8'));
    const refused = await office.get<ErrorBody>('/v1/assets');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toEqual({ code: 'SOURCE_NOT_ALLOWED', message: expect.any(String), details: {} });
    const spoofed = await office.get<ErrorBody>('/v1/assets', { headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(spoofed.body.error.code).toBe('SOURCE_NOT_ALLOWED');
    // Outside the list and without the scope: the list answers, the key's scopes stay unknown.
    expect(
      (await office.post<ErrorBody>('/v1/transfers', { from: accountA, to: accountB, asset: 'ETH', amount: '1' })).body.error.code,
    ).toBe('SOURCE_NOT_ALLOWED');
    const loopback = new ApiClient(cluster.gatewayUrl, await addKey('read', '127.0.0.0/8,::1'));
    expect((await loopback.get('/v1/assets')).status).toBe(200);
    const line = await lineWith(cluster.process('gatesrv'), (l) => l.msg === 'key not allowed' && l['keyId'] === office.credentials.keyId);
    expect(line).toMatchObject({ refused: 'SOURCE_NOT_ALLOWED' });
  });
});

describe('key lifecycle', () => {
  it("a disabled key gets 401 within 1 s of `clients keys disable` returning, the client's other keys keep working; enabled, it works again", async () => {
    const key = await addKey('read');
    const client = new ApiClient(cluster.gatewayUrl, key);
    expect((await client.get('/v1/assets')).status).toBe(200); // cached by the gateway

    const disabled = await walletctl(cluster, 'clients', 'keys', 'disable', key.keyId);
    const since = Date.now();
    expect(disabled.code).toBe(0);
    let r = await client.get<ErrorBody>('/v1/assets');
    while (r.status !== 401 && Date.now() - since < 1_000) {
      await sleep(25);
      r = await client.get<ErrorBody>('/v1/assets');
    }
    expect(r.status).toBe(401);
    expect(r.body.error.details).toEqual({ reason: 'invalid_credentials' });
    expect((await api.get('/v1/assets')).status).toBe(200);

    expect((await walletctl(cluster, 'clients', 'keys', 'enable', key.keyId)).code).toBe(0);
    const enabledAt = Date.now();
    r = await client.get<ErrorBody>('/v1/assets');
    while (r.status !== 200 && Date.now() - enabledAt < 1_000) {
      await sleep(25);
      r = await client.get<ErrorBody>('/v1/assets');
    }
    expect(r.status).toBe(200);
  });

  it("a rotated key's new secret works at once, its old one during the overlap only", async () => {
    const key = await addKey('read');
    const old = new ApiClient(cluster.gatewayUrl, key);
    expect((await old.get('/v1/assets')).status).toBe(200);
    const rotated = await walletctl(cluster, 'clients', 'keys', 'rotate', key.keyId, '--overlap', '2s', '--json');
    expect(rotated.code).toBe(0);
    const { secret, previousSecretExpiresAt } = JSON.parse(rotated.out.join('\n')) as { secret: string; previousSecretExpiresAt: string };
    expect(secret).not.toBe(key.secret);
    const fresh = new ApiClient(cluster.gatewayUrl, { keyId: key.keyId, secret });
    const since = Date.now();
    let r = await fresh.get('/v1/assets');
    while (r.status !== 200 && Date.now() - since < 1_000) {
      await sleep(25);
      r = await fresh.get('/v1/assets');
    }
    expect(r.status).toBe(200);
    expect((await old.get('/v1/assets')).status).toBe(200);

    await sleep(Date.parse(previousSecretExpiresAt) - Date.now() + 50);
    const after = await old.get<ErrorBody>('/v1/assets');
    expect(after.status).toBe(401);
    expect(after.body.error.details).toEqual({ reason: 'invalid_credentials' });
    expect((await fresh.get('/v1/assets')).status).toBe(200);
  });

  it('refuses bad key requests from walletctl: an unknown scope, a malformed CIDR, no such client', async () => {
    const bad = [
      { args: ['--client', owner.clientId, '--scopes', 'read,admin'], code: 'VALIDATION_FAILED' },
      { args: ['--client', owner.clientId, '--scopes', 'read', '--allow-ip', '10.1.0.0/8'], code: 'VALIDATION_FAILED' },
      { args: ['--client', 'cl_nope', '--scopes', 'read'], code: 'NOT_FOUND' },
    ];
    for (const { args, code } of bad) {
      await expect(walletctl(cluster, 'clients', 'keys', 'add', ...args), args.join(' ')).rejects.toMatchObject({ code });
    }
  });
});
