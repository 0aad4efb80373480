import { getAddress, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mined } from '../contracts/deploy.js';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// Issue 15 through the whole cluster on anvil: the client-wide account list and the lookup by externalId, the
// capability flags of GET /v1/assets against what the services do, one address form in every answer, and a
// withdrawal's confirmations counting on after it is confirmed.

type Account = { id: string; externalId: string; createdAt: string };
type Page<T> = { data: T[]; nextCursor: string | null };
type Asset = { asset: string; chain: string; deposits: boolean; withdrawals: boolean; transfers: boolean; minWithdrawal: string };
type Deposit = { id: string; address: string; txid: string; asset: string; status: string; confirmations: number };
type ErrorBody = { error: { code: string; details: Record<string, unknown> } };

let world: WithdrawalWorld;

beforeAll(async () => {
  world = await WithdrawalWorld.start();
});

afterAll(async () => {
  if (world) expect(await world.fixtures.invariants()).toEqual([]);
  await world?.stop();
});

/** A new exchange client of the cluster, with its own key. */
async function newClient(name: string): Promise<ApiClient> {
  return new ApiClient(world.cluster.gatewayUrl, await createApiClient(world.cluster, name));
}

async function openAccount(api: ApiClient, externalId: string): Promise<string> {
  const res = await api.post<Account>('/v1/accounts', { externalId });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** Every page of `GET /v1/accounts?query`, following nextCursor: the ids of each page. */
async function accountPages(api: ApiClient, query: string): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: Page<Account> } = await api.get<Page<Account>>(
      `/v1/accounts?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    expect(res.status).toBe(200);
    pages.push(res.body.data.map((a) => a.id));
    cursor = res.body.nextCursor;
  } while (cursor !== null && pages.length < 20);
  return pages;
}

describe('GET /v1/accounts', () => {
  it("pages a client's accounts newest first, and oldest first with order=asc, each account once", async () => {
    const api = await newClient('Paging Exchange');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await openAccount(api, `pager-${i}`));
    const newest = [...ids].reverse();
    expect(await accountPages(api, 'limit=2')).toEqual([newest.slice(0, 2), newest.slice(2, 4), newest.slice(4)]);
    expect(await accountPages(api, 'limit=2&order=asc')).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    expect(await accountPages(api, 'order=desc')).toEqual([newest]);

    const first = await api.get<Page<Account>>('/v1/accounts?limit=2');
    expect(first.body.data[0]).toEqual({ id: newest[0], externalId: 'pager-4', createdAt: expect.any(String) });
    // A cursor continues the order it was made in only.
    const switched = await api.get<ErrorBody>(`/v1/accounts?order=asc&cursor=${first.body.nextCursor!}`);
    expect(switched.status).toBe(400);
    expect(switched.body.error.code).toBe('VALIDATION_FAILED');
  });

  it("finds an account by externalId byte for byte, and never shows another client's accounts", async () => {
    const alice = await newClient('Alice Exchange');
    const bob = await newClient('Bob Exchange');
    // The same externalId at two clients is two accounts; the id with characters a query must percent-encode.
    const odd = 'user+1&x=2%';
    const aliceOdd = await openAccount(alice, odd);
    const bobOdd = await openAccount(bob, odd);
    const bobOnly = await openAccount(bob, 'only-at-bob');
    expect(aliceOdd).not.toBe(bobOdd);

    const found = await alice.get<Page<Account>>(`/v1/accounts?externalId=${encodeURIComponent(odd)}`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ data: [{ id: aliceOdd, externalId: odd, createdAt: expect.any(String) }], nextCursor: null });
    expect((await bob.get<Page<Account>>(`/v1/accounts?externalId=${encodeURIComponent(odd)}`)).body.data.map((a) => a.id)).toEqual([
      bobOdd,
    ]);
    for (const other of ['only-at-bob', 'USER+1&x=2%', 'user+1&x=2', 'nobody']) {
      const none = await alice.get<Page<Account>>(`/v1/accounts?externalId=${encodeURIComponent(other)}`);
      expect(none.status, other).toBe(200);
      expect(none.body, other).toEqual({ data: [], nextCursor: null });
    }
    expect((await alice.get<Page<Account>>('/v1/accounts')).body.data.map((a) => a.id)).toEqual([aliceOdd]);
    expect((await bob.get<Page<Account>>('/v1/accounts')).body.data.map((a) => a.id)).toEqual([bobOnly, bobOdd]);
    expect((await alice.get<ErrorBody>(`/v1/accounts/${bobOnly}`)).status).toBe(404);
  });
});

describe('GET /v1/assets: capability flags', () => {
  /** A destination valid on each chain of the dev registry. */
  const destination: Record<string, string> = {
    eth: WithdrawalWorld.freshAddress(),
    btc: 'bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9',
    ltc: 'rltc1q7r6p4vtag3unpm3a9athj2knfncknzsw0gsu7e',
  };

  it('says what this cluster serves (a node for eth only), and each service does exactly that', async () => {
    // The cluster's configuration: no WALLET_CHAIN_RPC of its own, so every service has the default, eth on anvil.
    expect(world.cluster.serviceEnv['WALLET_CHAIN_RPC']).toBeUndefined();
    const res = await world.api.get<{ data: Asset[] }>('/v1/assets');
    expect(res.status).toBe(200);
    const flags = Object.fromEntries(res.body.data.map((a) => [a.asset, [a.chain, a.deposits, a.withdrawals, a.transfers]]));
    expect(flags).toEqual({
      BTC: ['btc', false, false, true],
      ETH: ['eth', true, true, true],
      LTC: ['ltc', false, false, true],
      USDT: ['eth', true, true, true],
    });
    expect(res.body.data.find((a) => a.asset === 'USDT')).toMatchObject({
      contract: getAddress(await world.usdt.getAddress()),
      chainKind: 'evm',
      evmChainId: 31337,
    });

    for (const asset of res.body.data) {
      const amount = BigInt(asset.minWithdrawal) * 10n;
      const from = await world.fundedAccount({});
      await world.fixtures.fund(from, asset.asset, amount, asset.chain);
      const to = await world.fundedAccount({});

      const address = await world.api.post<ErrorBody>(`/v1/accounts/${from}/addresses`, { chain: asset.chain });
      if (asset.deposits) expect(address.status, asset.asset).toBe(201);
      else {
        expect(address.status, asset.asset).toBe(422);
        expect(address.body.error, asset.asset).toMatchObject({ code: 'UNSUPPORTED_CHAIN', details: { reason: 'not_scanned' } });
      }

      const withdrawal = await world.withdraw(from, { asset: asset.asset, to: destination[asset.chain]!, amount: asset.minWithdrawal });
      if (asset.withdrawals) {
        expect(withdrawal.status, asset.asset).toBe(201);
        // Not to be paid: cancelled while it waits for review, its funds released.
        expect((await world.api.post(`/v1/withdrawals/${withdrawal.body.id}/cancel`, {})).status).toBe(200);
      } else {
        expect(withdrawal.status, asset.asset).toBe(422);
        expect(withdrawal.body.error, asset.asset).toMatchObject({ code: 'UNSUPPORTED_ASSET', details: { reason: 'chain_not_served' } });
      }

      const transfer = await world.api.post('/v1/transfers', { from, to, asset: asset.asset, amount: '1' });
      expect(transfer.status, asset.asset).toBe(asset.transfers ? 201 : 422);
    }
  });
});

describe('one address form in every answer', () => {
  it('an EVM address is EIP-55 when issued, listed, and in the deposits of a real deposit to it, native and token', async () => {
    const account = await world.fundedAccount({});
    const issued = await world.api.post<{ address: string; chain: string }>(`/v1/accounts/${account}/addresses`, { chain: 'eth' });
    expect(issued.status).toBe(201);
    const address = issued.body.address;
    expect(address).toBe(getAddress(address));
    expect(address).not.toBe(address.toLowerCase());
    const listed = await world.api.get<Page<{ address: string }>>(`/v1/accounts/${account}/addresses`);
    expect(listed.body.data.map((a) => a.address)).toEqual([address]);

    // Paid as a sender would, in lower case: the node and the deposit row know it in lower case.
    const native = await mined(world.deployer.sendTransaction({ to: address.toLowerCase(), value: parseEther('0.5') }));
    await mined(world.usdt.mint(world.deployer.address, 7_000_000n));
    const token = await mined(world.usdt.transfer(address.toLowerCase(), 7_000_000n));
    await world.mine(3);
    const deposits = await waitFor('both deposits credited', async () => {
      const page = await world.api.get<Page<Deposit>>(`/v1/accounts/${account}/deposits`);
      const credited = page.body.data.filter((d) => d.status === 'credited');
      return credited.length === 2 ? page.body.data : undefined;
    });
    expect(deposits.map((d) => d.txid).sort()).toEqual([native.hash, token.hash].sort());
    const [[row]] = (await world.fixtures.db.raw('SELECT address FROM deposits WHERE account_id = ? LIMIT 1', [account])) as [
      [{ address: string }],
    ];
    expect(row.address).toBe(address.toLowerCase());
    expect(deposits.map((d) => d.address)).toEqual([address, address]);
  });

  it("a withdrawal's `to` is EIP-55 in the create answer, the withdrawal and the list, whatever case it was sent in", async () => {
    const account = await world.fundedAccount({ ETH: parseEther('1') });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to: to.toLowerCase(), amount: '10000000000000000' });
    expect(res.status).toBe(201);
    expect(res.body.to).toBe(to);
    expect((await world.get(res.body.id)).to).toBe(to);
    const list = await world.api.get<Page<{ to: string }>>(`/v1/accounts/${account}/withdrawals`);
    expect(list.body.data.map((w) => w.to)).toEqual([to]);
    expect((await world.api.post(`/v1/withdrawals/${res.body.id}/cancel`, {})).status).toBe(200);
  });
});

describe("a withdrawal's confirmations", () => {
  it('keep counting with the chain after confirmed, as a deposit’s do: its block and those on top of it to the scanned head', async () => {
    const account = await world.fundedAccount({ ETH: parseEther('1') });
    const res = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '20000000000000000' });
    expect(res.status).toBe(201);
    await world.signsrv.received(res.body.id);
    expect((await world.signsrv.approveSigned(res.body.id)).status).toBe(200);
    const confirmed = await world.waitStatus(res.body.id, 'confirmed');
    const receipt = (await world.provider.getTransactionReceipt(confirmed.txid!))!;
    const counted = (head: number) => head - receipt.blockNumber + 1;

    // Each read against the scanned head of the moment (the scanner may still be catching up between two reads).
    const settle = async () =>
      waitFor('confirmations at the scanned head', async () => {
        const head = await world.scannedHead();
        const w = await world.get(res.body.id);
        const listed = (await world.api.get<Page<{ id: string; confirmations: number }>>(`/v1/accounts/${account}/withdrawals`)).body.data;
        return head !== null &&
          head === (await world.scannedHead()) &&
          w.confirmations === counted(head) &&
          listed[0]?.confirmations === counted(head)
          ? w.confirmations
          : undefined;
      });
    const atConfirmation = await settle();
    expect(atConfirmation).toBeGreaterThanOrEqual(3);
    await world.mine(5);
    await waitFor('the scanner at the new head', async () =>
      (await world.scannedHead()) === (await world.provider.getBlockNumber()) ? true : undefined,
    );
    const later = await settle();
    expect(later).toBeGreaterThanOrEqual(atConfirmation + 5);
    expect((await world.get(res.body.id)).status).toBe('confirmed');
  });
});
