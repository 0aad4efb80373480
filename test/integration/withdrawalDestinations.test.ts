import { TransServiceService } from '@wallet/proto';
import { createClient } from '@wallet/rpc';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployGate } from '../contracts/deploy.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

let world: WithdrawalWorld;
const ETH = 10n ** 18n;
const AMOUNT = 300000000000000000n;
// A cold wallet of the treasury, configured in signsrv: an address the wallet operates that is no hot wallet.
const COLD = Wallet.createRandom().address;

type ReviewExtra = {
  internal: boolean;
  internalAccountId: string | null;
  destinationIsContract: boolean | null;
  error?: { code: string };
};

const code = (body: unknown) => (body as { error?: { code: string } }).error?.code;

/** A new funded account bound to `node` (accounts bind to the least-loaded node: open until one lands there). */
async function accountOn(node: string, funds: Record<string, bigint> = {}): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const id = await world.fundedAccount({});
    if ((await world.fixtures.nodeOf(id)) !== node) continue;
    for (const [asset, amount] of Object.entries(funds)) await world.fixtures.fund(id, asset, amount);
    return id;
  }
  throw new Error(`no account landed on ${node}`);
}

async function depositAddress(accountId: string): Promise<string> {
  const res = await world.api.post<{ address: string }>(`/v1/accounts/${accountId}/addresses`, { chain: 'eth' });
  expect(res.status).toBe(201);
  return res.body.address;
}

/** The withdrawal as transrv's gRPC WithdrawalRecord shows it (what the gateway maps to JSON; read as the gateway). */
async function record(withdrawalId: string) {
  const row = await world.fixtures.db('withdrawals').where({ id: withdrawalId }).first<{ client_id: string; node_id: string }>();
  const ready = await world.cluster.process(`transrv-${row.node_id}`).ready();
  const client = createClient(TransServiceService, String(ready['address']), { tls: world.cluster.grpcClientTls('transrv', 'gatesrv') });
  try {
    return await client.getWithdrawal({ clientId: row.client_id, withdrawalId });
  } finally {
    client.close();
  }
}

/** The account's deposits as transrv's gRPC shows them (read as the gateway). */
async function depositsOf(accountId: string) {
  const node = await world.fixtures.nodeOf(accountId);
  const ready = await world.cluster.process(`transrv-${node}`).ready();
  const client = createClient(TransServiceService, String(ready['address']), { tls: world.cluster.grpcClientTls('transrv', 'gatesrv') });
  try {
    return (await client.listDeposits({ accountId, page: { limit: 50, cursor: '' } })).deposits;
  } finally {
    client.close();
  }
}

const hotNonce = () => world.provider.getTransactionCount(world.hotWallet, 'latest');

beforeAll(async () => {
  world = await WithdrawalWorld.start({
    transrvNodes: ['t1', 't2'],
    extraEnv: { SIGNSRV_OPERATED_ADDRESSES: JSON.stringify({ eth: { cold: [COLD] } }) },
  });
});

afterAll(async () => {
  if (world) expect(await world.fixtures.invariants()).toEqual([]);
  await world?.stop();
});

describe('screened destinations', () => {
  it('the zero address, precompiles, the reserved low range, hot wallets (current and earlier) and a cold wallet: 422 INVALID_DESTINATION, nothing frozen', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    // An earlier hot wallet of the chain (a key rotation left it in hot_wallets, inactive).
    const earlierHot = Wallet.createRandom().address;
    await world.fixtures.db('hot_wallets').insert({ chain: 'eth', address: earlierHot, active: false });
    const refused = [
      ['zero', '0x0000000000000000000000000000000000000000'],
      ['ecrecover', '0x0000000000000000000000000000000000000001'],
      ['point evaluation', '0x000000000000000000000000000000000000000a'],
      ['reserved', '0x00000000000000000000000000000000000000ff'],
      ['reserved (P256VERIFY)', '0x0000000000000000000000000000000000000100'],
      ['hot wallet', world.hotWallet],
      ['hot wallet, lower case', world.hotWallet.toLowerCase()],
      ['earlier hot wallet', earlierHot],
      ['cold wallet', COLD],
    ] as const;
    for (const [what, to] of refused) {
      const before = await world.fixtures.snapshot();
      const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
      expect({ what, status: res.status, code: code(res.body) }).toEqual({ what, status: 422, code: 'INVALID_DESTINATION' });
      expect(await world.fixtures.snapshot()).toEqual(before);
    }
    // Token withdrawals are screened alike.
    await world.fixtures.fund(account, 'USDT', 10_000_000n);
    const token = await world.withdraw(account, { asset: 'USDT', to: world.hotWallet, amount: '5000000' });
    expect({ status: token.status, code: code(token.body) }).toEqual({ status: 422, code: 'INVALID_DESTINATION' });
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH, frozen: 0n });
    expect(await world.balances(account, 'USDT')).toEqual({ available: 10_000_000n, frozen: 0n });
  });

  it('a destination that became an address of ours after the request is not approved (signsrv re-checks it)', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
    expect(res.status).toBe(201);
    await world.signsrv.received(res.body.id);
    await world.fixtures.db('operated_addresses').insert({ chain: 'eth', address: to, role: 'sweep' });
    const approved = await world.signsrv.approve(res.body.id);
    expect({ status: approved.status, code: code(approved.body) }).toEqual({ status: 422, code: 'INVALID_DESTINATION' });
    expect(await world.txsOf(res.body.id)).toEqual([]);
    // The auditor rejects it; the funds come back.
    expect((await world.signsrv.reject(res.body.id, 'destination is ours')).status).toBe(200);
    await world.waitStatus(res.body.id, 'rejected');
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH, frozen: 0n });
  });
});

describe('internal withdrawals (to a deposit address of this wallet)', () => {
  it.each([
    ['on the other transrv node', 't1', 't2'],
    ['on the same node', 't2', 't2'],
  ])(
    '%s: no fee, approved -> confirmed internal, the owner credited once with an internal deposit, nothing on chain',
    async (_what, fromNode, toNode) => {
      const sender = await accountOn(fromNode, { ETH: ETH });
      const receiver = await accountOn(toNode);
      const to = await depositAddress(receiver);
      const nonceBefore = await hotNonce();

      const res = await world.withdraw(sender, { asset: 'ETH', to, amount: AMOUNT.toString() });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ status: 'pending_review', fee: '0', to });
      const id = res.body.id;
      expect(await record(id)).toMatchObject({ internal: true, fee: '0' });
      expect(await world.balances(sender, 'ETH')).toEqual({ available: ETH - AMOUNT, frozen: AMOUNT });

      await world.signsrv.received(id);
      const review = await world.signsrv.review(id);
      expect(review.body).toMatchObject({ internal: true, internalAccountId: receiver, destinationIsContract: null });
      const approved = await world.signsrv.approve(id);
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ decision: 'approved', internal: true, txid: null, nonce: null });

      const confirmed = await world.waitStatus(id, 'confirmed');
      expect(confirmed).toMatchObject({ txid: null, fee: '0', internal: true });
      expect(await record(id)).toMatchObject({ status: 'confirmed', internal: true, txid: '', networkFee: '0' });
      await waitFor('the credit', async () => ((await world.balances(receiver, 'ETH')).available === AMOUNT ? true : undefined));
      expect(await world.balances(sender, 'ETH')).toEqual({ available: ETH - AMOUNT, frozen: 0n });

      const deposits = await depositsOf(receiver);
      expect(deposits).toEqual([
        expect.objectContaining({ address: to, asset: 'ETH', amount: AMOUNT.toString(), status: 'credited', internal: true, txid: '' }),
      ]);
      const listed = await world.api.get<{ data: { address: string; amount: string; status: string }[] }>(
        `/v1/accounts/${receiver}/deposits`,
      );
      expect(listed.body.data).toEqual([
        expect.objectContaining({ address: to, amount: AMOUNT.toString(), status: 'credited', internal: true, txid: null }),
      ]);

      // Nothing signed or sent: no transaction stored, the hot wallet's nonce unchanged, the trail says so.
      expect(await world.txsOf(id)).toEqual([]);
      expect(await world.fixtures.db('nonce_assignments').where({ withdrawal_id: id })).toEqual([]);
      await world.mine(2);
      expect(await hotNonce()).toBe(nonceBefore);
      const trail = await world.fixtures.db('withdrawal_events').where({ withdrawal_id: id }).orderBy('id');
      expect(trail.map((e: { from_status: string | null; to_status: string }) => `${e.from_status ?? '-'}>${e.to_status}`)).toEqual([
        '->pending_review',
        'pending_review>approved',
        'approved>confirmed',
      ]);
      // Credited once: across nodes the transfer carrying the credit is acknowledged (the relay stops delivering).
      if (fromNode !== toNode) {
        await waitFor('the credit acknowledged', async () =>
          (await world.fixtures.db('transfers').where({ withdrawal_id: id, status: 'completed' }).first()) ? true : undefined,
        );
      } else {
        expect(await world.fixtures.db('transfers').where({ withdrawal_id: id })).toEqual([]);
      }
      expect(await world.balances(receiver, 'ETH')).toEqual({ available: AMOUNT, frozen: 0n });
      expect(await world.fixtures.db('deposits').where({ withdrawal_id: id })).toHaveLength(1);
      expect(await world.fixtures.invariants()).toEqual([]);
    },
  );

  it('rejected: the funds come back once and nobody is credited', async () => {
    const sender = await accountOn('t1', { ETH: ETH });
    const receiver = await accountOn('t2');
    const to = await depositAddress(receiver);
    const res = await world.withdraw(sender, { asset: 'ETH', to, amount: AMOUNT.toString() });
    expect(res.status).toBe(201);
    expect(res.body.fee).toBe('0');
    expect(await record(res.body.id)).toMatchObject({ internal: true });
    await world.signsrv.received(res.body.id);
    expect((await world.signsrv.reject(res.body.id, 'not today')).status).toBe(200);
    await world.waitStatus(res.body.id, 'rejected');
    expect(await world.balances(sender, 'ETH')).toEqual({ available: ETH, frozen: 0n });
    expect(await world.balances(receiver, 'ETH')).toEqual({ available: 0n, frozen: 0n });
    const releases = await world.fixtures.db('journal').where({ ref_id: res.body.id, kind: 'withdrawal_release', bucket: 'available' });
    expect(releases).toHaveLength(1);
    expect(await depositsOf(receiver)).toEqual([]);
  });
});

describe('contract destinations', () => {
  it('are flagged to reviewers (destinationIsContract) and still paid; an account is not flagged', async () => {
    const gate = await deployGate(world.deployer);
    const contract = await gate.getAddress();
    const account = await world.fundedAccount({ ETH: ETH });
    const res = await world.withdraw(account, { asset: 'ETH', to: contract, amount: AMOUNT.toString() });
    expect(res.status).toBe(201);
    const plain = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: AMOUNT.toString() });
    expect(plain.status).toBe(201);
    const flagged = (id: string) =>
      waitFor(`${id} looked up`, async () => {
        const review = await world.signsrv.review(id);
        const body = review.body as unknown as ReviewExtra;
        return review.status === 200 && body.destinationIsContract !== null ? body : undefined;
      });
    expect(await flagged(res.body.id)).toMatchObject({ destinationIsContract: true, internal: false });
    expect(await flagged(plain.body.id)).toMatchObject({ destinationIsContract: false, internal: false });

    expect((await world.signsrv.approve(res.body.id)).status).toBe(200);
    await world.waitStatus(res.body.id, 'confirmed');
    expect(await world.provider.getBalance(contract)).toBe(AMOUNT);
    expect((await world.signsrv.reject(plain.body.id, 'not needed')).status).toBe(200);
  });
});
