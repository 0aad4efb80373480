import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Account, type RetryEvent, type WalletApiError, WalletClient, isWalletApiError } from '@wallet/client';
import type { JsonRpcProvider, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilDeployer, anvilProvider, mined } from '../contracts/deploy.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { repoRoot } from '../harness/repoRoot.js';
import { waitFor } from '../harness/waitFor.js';

// The cluster driven through @wallet/client as an exchange's back office would (and through examples/curl/wallet.sh):
// every call below is signed, retried and paged by the SDK, typed from the gateway's OpenAPI document.

const FUND = 10n ** 18n;
const DESTINATION = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';

let cluster: Cluster;
let fixtures: LedgerFixtures;
let credentials: { keyId: string; secret: string };
let wallet: WalletClient;
let provider: JsonRpcProvider;
let payer: Wallet;

const openAccount = (prefix = 'user') => wallet.accounts.create({ externalId: `${prefix}-${randomUUID()}` });

async function available(accountId: string, asset = 'ETH'): Promise<bigint> {
  const balance = (await wallet.accounts.balances(accountId)).find((b) => b.asset === asset);
  return BigInt(balance!.available);
}

async function caught(promise: Promise<unknown>): Promise<WalletApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isWalletApiError(error)) throw new Error(`expected a WalletApiError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  credentials = await createApiClient(cluster, 'Exchange SDK');
  wallet = new WalletClient({ baseUrl: cluster.gatewayUrl, ...credentials });
  provider = anvilProvider();
  payer = anvilDeployer(provider);
});

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

describe('accounts, addresses and balances', () => {
  it('opens an account once per externalId and shows zero balances for every asset', async () => {
    const externalId = `user-${randomUUID()}`;
    const account = await wallet.accounts.create({ externalId });
    expect(account).toEqual({ id: expect.any(String), externalId, createdAt: expect.any(String) });
    expect(await wallet.accounts.create({ externalId })).toEqual(account);
    expect(await wallet.accounts.get(account.id)).toEqual(account);

    const assets = await wallet.assets.list();
    expect(assets.map((a) => a.asset)).toContain('ETH');
    const balances = await wallet.accounts.balances(account.id);
    expect(balances.map((b) => b.asset)).toEqual(assets.map((a) => a.asset));
    for (const b of balances) expect([b.available, b.frozen, b.pending]).toEqual(['0', '0', '0']);
    for (const a of assets) expect(typeof a.deposits === 'boolean' && typeof a.withdrawals === 'boolean' && a.transfers).toBe(true);
  });

  it('finds an account by externalId and lists the client’s accounts in either order', async () => {
    const opened = [await openAccount('listed'), await openAccount('listed'), await openAccount('listed')];
    expect(await wallet.accounts.findByExternalId(opened[1]!.externalId)).toEqual(opened[1]);
    expect(await wallet.accounts.findByExternalId(`nobody-${randomUUID()}`)).toBeNull();

    const ids = new Set(opened.map((a) => a.id));
    const oldestFirst = (await wallet.accounts.list({ order: 'asc', limit: 2 }).toArray()).filter((a) => ids.has(a.id));
    expect(oldestFirst).toEqual(opened);
    const newestFirst = (await wallet.accounts.list({ limit: 2 }).toArray()).filter((a) => ids.has(a.id));
    expect(newestFirst).toEqual([...opened].reverse());
  });

  it('issues deposit addresses and pages through them, newest first', async () => {
    const account = await openAccount();
    const issued = [];
    for (let i = 0; i < 5; i++) issued.push(await wallet.addresses.create(account.id, { chain: 'eth' }));
    expect(new Set(issued.map((a) => a.address)).size).toBe(5);

    const pages = [];
    for await (const page of wallet.addresses.list(account.id, { chain: 'eth', limit: 2 }).pages()) pages.push(page);
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((p) => p.data)).toEqual([...issued].reverse());
    expect(await wallet.addresses.list(account.id, { limit: 2 }).toArray()).toEqual([...issued].reverse());
  });
});

describe('deposits', () => {
  it('shows real deposits on anvil, credited at the confirmations, paged through with for await', async () => {
    const account = await openAccount('depositor');
    const { address } = await wallet.addresses.create(account.id, { chain: 'eth' });
    const amounts = [1n, 2n, 3n].map((n) => n * 10n ** 15n);
    const txids = [];
    for (const value of amounts) txids.push((await mined(payer.sendTransaction({ to: address, value }))).hash);
    const eth = (await wallet.assets.list()).find((a) => a.asset === 'ETH')!;
    await provider.send('anvil_mine', [`0x${eth.confirmations.toString(16)}`]);

    const credited = await waitFor('three credited deposits', async () => {
      const all = await wallet.deposits.listByAccount(account.id, { limit: 2 }).toArray();
      return all.length === 3 && all.every((d) => d.status === 'credited') ? all : undefined;
    });
    expect(credited.map((d) => d.txid)).toEqual([...txids].reverse());
    expect(credited.map((d) => BigInt(d.amount))).toEqual([...amounts].reverse());
    expect(credited.every((d) => d.address === address && d.asset === 'ETH' && d.creditedAt !== null)).toBe(true);

    const seen = [];
    for await (const deposit of wallet.deposits.listByAccount(account.id, { limit: 1 })) seen.push(deposit.id);
    expect(seen).toEqual(credited.map((d) => d.id));
    expect(await available(account.id)).toBe(6n * 10n ** 15n);

    // The client-wide list, filtered to this account: the same deposits, each order the other's reverse (deposits
    // first seen in one millisecond are ordered by id there), and by time.
    const ids = (list: { id: string }[]) => list.map((d) => d.id);
    const newest = await wallet.deposits.list({ account: account.id, limit: 2 }).toArray();
    expect(new Set(ids(newest))).toEqual(new Set(ids(credited)));
    expect(await wallet.deposits.list({ account: account.id, order: 'asc', status: 'credited' }).toArray()).toEqual([...newest].reverse());
    const since = new Date(Date.parse(credited[1]!.createdAt));
    const recent = await wallet.deposits.list({ account: account.id, since, order: 'asc' }).toArray();
    expect(new Set(ids(recent))).toEqual(new Set(ids(credited.filter((d) => Date.parse(d.createdAt) >= since.getTime()))));
    expect(recent.length).toBeGreaterThanOrEqual(2);
    expect(await wallet.deposits.list({ account: account.id, status: 'pending' }).toArray()).toEqual([]);
  });
});

describe('transfers', () => {
  it('moves funds once, and a retry with the same Idempotency-Key returns the same transfer', async () => {
    const [from, to] = [await openAccount(), await openAccount()];
    await fixtures.fund(from.id, 'ETH', FUND);
    const key = `tr-${randomUUID()}`;
    const transfer = await wallet.transfers.create({ from: from.id, to: to.id, asset: 'ETH', amount: 1234n }, { idempotencyKey: key });
    expect(transfer).toMatchObject({ from: from.id, to: to.id, asset: 'ETH', amount: '1234' });
    expect(['completed', 'pending_credit']).toContain(transfer.status);

    const replay = await wallet.request(
      { method: 'POST', target: '/v1/transfers', body: { from: from.id, to: to.id, asset: 'ETH', amount: '1234' } },
      { idempotencyKey: key },
    );
    expect(replay).toMatchObject({ status: 201, replayed: true, data: transfer });
    expect(await available(from.id)).toBe(FUND - 1234n);
    await waitFor('the credit', async () => ((await available(to.id)) === 1234n ? true : undefined));

    const lines = await wallet.ledger.list(from.id, { asset: 'ETH', limit: 1 }).toArray();
    expect(lines.map((l) => [l.kind, l.amount])).toEqual([
      ['transfer_out', '-1234'],
      ['deposit', String(FUND)],
    ]);
  });

  it('keeps a reference and metadata, finds the transfer by them, and refuses a reference twice', async () => {
    const [from, to] = [await openAccount(), await openAccount()];
    await fixtures.fund(from.id, 'ETH', FUND);
    const reference = `payout-${randomUUID()}`;
    const metadata = { user: '42', note: 'café' };
    const transfer = await wallet.transfers.create({ from: from.id, to: to.id, asset: 'ETH', amount: 5n, reference, metadata });
    expect(transfer).toMatchObject({ reference, metadata });
    expect(await wallet.transfers.get(transfer.id)).toEqual(transfer);
    expect(await wallet.transfers.findByReference(reference)).toEqual(transfer);
    expect(await wallet.transfers.findByReference(`${reference}-none`)).toBeNull();
    await waitFor('the credit', async () => ((await available(to.id)) === 5n ? true : undefined));
    const second = await wallet.transfers.create({ from: to.id, to: from.id, asset: 'ETH', amount: 1n });
    const listed = await wallet.transfers.list({ account: from.id, limit: 1 }).toArray();
    expect(listed.map((t) => t.id)).toEqual([second.id, transfer.id]);
    expect((await wallet.transfers.list({ account: from.id, order: 'asc' }).toArray()).map((t) => t.id)).toEqual([transfer.id, second.id]);
    await waitFor('the credit back', async () => ((await available(from.id)) === FUND - 4n ? true : undefined));

    const twice = await caught(wallet.transfers.create({ from: from.id, to: to.id, asset: 'ETH', amount: 5n, reference }));
    expect(twice).toMatchObject({ status: 409, code: 'DUPLICATE_REFERENCE', attempts: 1, details: { reference, id: transfer.id } });
    expect(await available(from.id)).toBe(FUND - 4n);
  });
});

describe('withdrawals', () => {
  it('creates a withdrawal in pending_review, lists it, cancels it and refuses a second cancel', async () => {
    const account = await openAccount();
    await fixtures.fund(account.id, 'ETH', FUND);
    const eth = (await wallet.assets.list()).find((a) => a.asset === 'ETH')!;
    const frozen = BigInt(eth.minWithdrawal) + BigInt(eth.withdrawalFee);

    const references = [0, 1, 2].map((i) => `wd-${randomUUID()}-${i}`);
    const created = [];
    for (const reference of references) {
      const body = { asset: 'ETH', to: DESTINATION, amount: BigInt(eth.minWithdrawal), reference, metadata: { ticket: reference } };
      created.push(await wallet.withdrawals.create(account.id, body));
    }
    for (const w of created) expect(w).toMatchObject({ accountId: account.id, status: 'pending_review', to: DESTINATION, txid: null });
    expect(created.map((w) => [w.reference, w.metadata])).toEqual(references.map((r) => [r, { ticket: r }]));
    expect(await wallet.withdrawals.findByReference(references[2]!)).toEqual(created[2]);
    expect(await available(account.id)).toBe(FUND - 3n * frozen);
    expect(await wallet.withdrawals.get(created[0]!.id)).toEqual(created[0]);

    const listed = [];
    for await (const w of wallet.withdrawals.listByAccount(account.id, { limit: 2 })) listed.push(w.id);
    expect(listed).toEqual(created.map((w) => w.id).reverse());
    expect(await wallet.withdrawals.list({ account: account.id, limit: 2 }).toArray()).toEqual([...created].reverse());

    const key = `cancel-${randomUUID()}`;
    const cancelled = await wallet.withdrawals.cancel(created[1]!.id, { idempotencyKey: key });
    expect(cancelled).toMatchObject({ id: created[1]!.id, status: 'cancelled' });
    expect(await wallet.withdrawals.cancel(created[1]!.id, { idempotencyKey: key })).toEqual(cancelled);
    expect(await available(account.id)).toBe(FUND - 2n * frozen);

    const again = await caught(wallet.withdrawals.cancel(created[1]!.id));
    expect(again).toMatchObject({ status: 409, code: 'WITHDRAWAL_NOT_CANCELLABLE', attempts: 1, details: { status: 'cancelled' } });
    expect(await wallet.withdrawals.list({ account: account.id, status: 'cancelled' }).toArray()).toEqual([cancelled]);
    expect(
      (await wallet.withdrawals.list({ account: account.id, status: 'pending_review', order: 'asc' }).toArray()).map((w) => w.id),
    ).toEqual([created[0]!.id, created[2]!.id]);
  });
});

describe('errors', () => {
  it('throws the API code, status, details and request id, without retrying a refusal', async () => {
    const missing = await caught(wallet.accounts.get('acc_01J00000000000000000000000'));
    expect(missing).toMatchObject({ name: 'WalletApiError', status: 404, code: 'ACCOUNT_NOT_FOUND', attempts: 1 });
    expect(missing.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);

    const account = await openAccount();
    const poor = await caught(wallet.transfers.create({ from: account.id, to: (await openAccount()).id, asset: 'ETH', amount: 1n }));
    expect(poor).toMatchObject({ status: 422, code: 'INSUFFICIENT_FUNDS', attempts: 1, idempotencyKey: expect.any(String) });

    const invalid = await caught(wallet.accounts.create({ externalId: 'has a space' }));
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(invalid.details['issues']).toEqual([expect.objectContaining({ field: 'body.externalId' })]);

    const forged = new WalletClient({ baseUrl: cluster.gatewayUrl, keyId: credentials.keyId, secret: `${credentials.secret}x` });
    const refused = await caught(forged.assets.list());
    expect(refused).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', attempts: 1, details: { reason: 'invalid_credentials' } });
  });

  it('keeps a well-formed request id the caller sends, and reads the rate limit headers', async () => {
    const requestId = `sdk-${randomUUID()}`;
    const answer = await wallet.request({ method: 'GET', target: '/v1/assets' }, { requestId });
    expect(answer.requestId).toBe(requestId);
    expect(answer.rateLimit).toMatchObject({ limit: 100_000, resetSeconds: expect.any(Number) });
    expect(answer.rateLimit!.remaining).toBeLessThan(100_000);
    const refused = await caught(wallet.accounts.get('acc_01J00000000000000000000000', { requestId }));
    expect(refused.requestId).toBe(requestId);
  });
});

describe('retries through a real outage', () => {
  it('retries SHARD_UNAVAILABLE with one Idempotency-Key until the node is back, and the transfer takes effect once', async () => {
    const [from, to] = [await openAccount(), await openAccount()];
    await fixtures.fund(from.id, 'ETH', FUND);
    const nodeId = await fixtures.nodeOf(from.id);
    const node = cluster.process(`transrv-${nodeId}`);
    node.child.kill('SIGKILL');
    await node.exited;
    // Without retries: each probe answers at once.
    const once = new WalletClient({ baseUrl: cluster.gatewayUrl, ...credentials, retry: { maxAttempts: 1 } });
    await waitFor('the gateway to see the node gone', async () => ((await once.health()).transrv.total === 1 ? true : undefined));
    expect((await caught(once.accounts.balances(from.id))).code).toBe('SHARD_UNAVAILABLE');

    const retries: RetryEvent[] = [];
    let restarting: Promise<unknown> | undefined;
    const patient = new WalletClient({
      baseUrl: cluster.gatewayUrl,
      ...credentials,
      retry: { maxAttempts: 30, maxRetryAfterMs: 10_000 },
      onRetry: (event) => {
        retries.push(event);
        restarting ??= cluster.startTransrv(nodeId);
      },
    });
    const transfer = await patient.transfers.create({ from: from.id, to: to.id, asset: 'ETH', amount: 77n });
    await restarting;

    expect(transfer).toMatchObject({ from: from.id, amount: '77' });
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((e) => e.error.code === 'SHARD_UNAVAILABLE' && e.delayMs >= 5000)).toBe(true);
    expect(new Set(retries.map((e) => e.error.idempotencyKey)).size).toBe(1);
    expect(await available(from.id)).toBe(FUND - 77n);
    await waitFor('the credit', async () => ((await available(to.id)) === 77n ? true : undefined));
  });
});

describe('examples/curl/wallet.sh against the gateway', () => {
  const script = join(repoRoot, 'examples/curl/wallet.sh');
  const run = (secret: string, ...args: string[]) =>
    promisify(execFile)('bash', [script, ...args], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        WALLET_URL: cluster.gatewayUrl,
        WALLET_KEY_ID: credentials.keyId,
        WALLET_SECRET: secret,
      },
    });

  it('signs and sends a GET and a POST, and a retry with the same key gets the same account', async () => {
    const assets = await run(credentials.secret, 'GET', '/v1/assets');
    expect(JSON.parse(assets.stdout)).toEqual({ data: await wallet.assets.list() });
    expect(assets.stderr).toMatch(/^HTTP 200 \S+\n$/);

    const externalId = `curl-${randomUUID()}`;
    const key = `curl-${randomUUID()}`;
    const created = await run(credentials.secret, 'POST', '/v1/accounts', JSON.stringify({ externalId }), key);
    expect(created.stderr).toMatch(/^HTTP 201 /);
    const account = JSON.parse(created.stdout) as Account;
    expect(account.externalId).toBe(externalId);
    expect(await wallet.accounts.get(account.id)).toEqual(account);
    const replay = await run(credentials.secret, 'POST', '/v1/accounts', JSON.stringify({ externalId }), key);
    expect(JSON.parse(replay.stdout)).toEqual(account);

    const query = await run(credentials.secret, 'GET', `/v1/accounts/${account.id}/addresses?chain=eth&limit=2`);
    expect(JSON.parse(query.stdout)).toEqual({ data: [], nextCursor: null });
  });

  it('is refused with a wrong secret (exit 1, the error body on stdout)', async () => {
    const refused = await run(`${credentials.secret}x`, 'GET', '/v1/assets').then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(refused?.code).toBe(1);
    expect(JSON.parse(refused!.stdout)).toMatchObject({ error: { code: 'UNAUTHENTICATED', details: { reason: 'invalid_credentials' } } });
    expect(refused!.stderr).toMatch(/^HTTP 401 /);
  });
});

describe('examples/sdk-quickstart.ts against the gateway', () => {
  const run = (externalId: string) =>
    promisify(execFile)(process.execPath, ['--conditions=wallet-source', '--import', 'tsx', 'examples/sdk-quickstart.ts', externalId], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        WALLET_URL: cluster.gatewayUrl,
        WALLET_KEY_ID: credentials.keyId,
        WALLET_SECRET: credentials.secret,
      },
    });

  it('opens the accounts and an address; once a deposit is credited, lists it and transfers half to savings', async () => {
    const externalId = `quick-${randomUUID()}`;
    const first = await run(externalId);
    expect(first.stdout).toContain('nothing to transfer yet');
    const address = /deposit address (0x[0-9a-fA-F]{40})/.exec(first.stdout)![1]!;
    const account = await wallet.accounts.create({ externalId });
    expect(first.stdout).toContain(`account ${account.id} (${externalId})`);

    const { hash } = await mined(payer.sendTransaction({ to: address, value: 2n * 10n ** 15n }));
    const eth = (await wallet.assets.list()).find((a) => a.asset === 'ETH')!;
    await provider.send('anvil_mine', [`0x${eth.confirmations.toString(16)}`]);
    const [deposit] = await waitFor('the deposit credited', async () => {
      const credited = await wallet.deposits.listByAccount(account.id).toArray();
      return credited.length === 1 && credited[0]!.status === 'credited' && credited[0]!.txid === hash ? credited : undefined;
    });

    const second = await run(externalId);
    expect(second.stdout).toContain(`deposit ${deposit!.id} 2000000000000000 ETH credited`);
    expect(second.stdout).toMatch(/transfer \S+ 1000000000000000 ETH to savings: (completed|pending_credit)/);
    const savings = await wallet.accounts.create({ externalId: `${externalId}-savings` });
    await waitFor('the savings credited', async () => ((await available(savings.id)) === 10n ** 15n ? true : undefined));
    expect(await available(account.id)).toBe(10n ** 15n);
  });
});
