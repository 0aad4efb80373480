import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { appendAudit } from '@wallet/audit';
import { AssetRegistry } from '@wallet/assets';
import { type EvmAdapter, createEvmAdapter } from '@wallet/chains';
import { type Db } from '@wallet/db';
import { createLogger } from '@wallet/logger';
import { SeedVault, evmHotWalletPath, evmSigner } from '@wallet/signer';
import { id as selector } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNonceAllocator } from '../evm/allocateNonce.js';
import { type Principal, userPrincipal } from '../review/Principal.js';
import { EvmMoveSender } from './EvmMoveSender.js';
import { MoveStatus, decideMove, getMove, planColdTransfer, requestContractCall } from './moves.js';
import { RefillFollower } from './RefillFollower.js';
import { type AssetTier, Tiers } from './Tiers.js';
import { type AnvilProcess, devRpc, startAnvil, createTestDatabase } from '@wallet/testkit';

// Treasury moves in-process on a fresh MariaDB database and a private anvil (automine): admins' review (M others than
// the requester), the sender's state machine advanced pass by pass with "crashes" (the worker stopped at a crash
// point) and new workers taking over, contract creation and calls, reverts, the tiers (cap to cold, floor alarm) and
// refills from cold. The whole cluster's view is test/integration/treasury.test.ts.

const chainId = 31377;
const ether = 10n ** 18n;
const log = createLogger('treasury-int', { level: 'silent' });
const artifact = (name: string) =>
  (JSON.parse(readFileSync(new URL(`../../../../test/contracts/artifacts/${name}.json`, import.meta.url), 'utf8')) as { bytecode: string })
    .bytecode;
const gateCode = artifact('Gate');
const tokenBytecode = artifact('TestToken');

const word = (value: bigint | string) =>
  (typeof value === 'bigint' ? value.toString(16) : value.toLowerCase().replace(/^0x/, '')).padStart(64, '0');
const shortString = (text: string) => word(BigInt(text.length)) + Buffer.from(text, 'utf8').toString('hex').padEnd(64, '0');

let db: Db;
let drop: () => Promise<void>;
let anvil: AnvilProcess;
let adapter: EvmAdapter;
let registry: AssetRegistry;
let token: string;
let funder: string;
const vault = new SeedVault(randomBytes(16));
const hot = vault.signer(evmSigner, evmHotWalletPath).address;
const alice = userPrincipal('alice', 'admin');
const bob = userPrincipal('bob', 'admin');
const carol = userPrincipal('carol', 'admin');

const dev = {
  request: <T>(method: string, params: unknown[] = []): Promise<T> => devRpc<T>(anvil.rpcUrl, method, params),
  async send(tx: { from: string; to?: string; data?: string; value?: bigint; gas?: bigint }) {
    const hash = await this.request<string>('eth_sendTransaction', [
      {
        from: tx.from,
        ...(tx.to === undefined ? {} : { to: tx.to }),
        data: tx.data ?? '0x',
        ...(tx.gas ? { gas: `0x${tx.gas.toString(16)}` } : {}),
        ...(tx.value ? { value: `0x${tx.value.toString(16)}` } : {}),
      },
    ]);
    for (;;) {
      const receipt = await this.request<{ status: string; contractAddress: string | null } | null>('eth_getTransactionReceipt', [hash]);
      if (receipt !== null) return receipt;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  },
  mine: () => dev.request('evm_mine'),
  setBalance: (address: string, wei: bigint) => dev.request('anvil_setBalance', [address, `0x${wei.toString(16)}`]),
};

class Crash extends Error {}
const crashAt = (point: string | null) => (name: string) => {
  if (name === point) throw new Crash(name);
};

/** A new sender, as a restarted signsrv builds it (its own copy of the hot wallet's key). */
function sender(crash: string | null = null): EvmMoveSender {
  return new EvmMoveSender({
    chain: registry.chain('eth'),
    adapter,
    hotWallet: vault.signer(evmSigner, evmHotWalletPath),
    registry,
    db,
    log,
    maxFeePerGas: 100n * 10n ** 9n,
    rebroadcastAfterMs: 0,
    audit: appendAudit,
    crash: crashAt(crash),
  });
}

/** Passes of new senders until the move is final, mining a block between them (confirmations). */
async function drain(id: string, crash: string | null = null): Promise<string> {
  for (let i = 0; i < 10; i++) {
    await sender(crash).pass();
    const status = (await getMove(db, id))!.status;
    if (status === 'confirmed' || status === 'failed' || status === 'rejected') return status;
    await dev.mine();
  }
  return (await getMove(db, id))!.status;
}

async function approvedBy(id: string, ...admins: Principal[]): Promise<void> {
  for (const a of admins) await decideMove(db, appendAudit, a, id, 'approve');
}

const code = (address: string) => dev.request<string>('eth_getCode', [address, 'latest']);
const nextNonce = async () =>
  Number((await db('nonce_counters').where({ chain: 'eth', address: hot }).first<{ next_nonce: string }>('next_nonce')).next_nonce);
const alarms = async (kind: string) => db('sign_alerts').where({ kind }).select<{ details: string }[]>('details');

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  anvil = await startAnvil({ chainId });
  funder = `0x${randomBytes(20).toString('hex')}`;
  await dev.setBalance(funder, 1000n * ether);
  await dev.request('anvil_impersonateAccount', [funder]);
  const data = `${tokenBytecode}${word(0x60n)}${word(0xa0n)}${word(6n)}${shortString('Tether USD')}${shortString('USDT')}`;
  token = (await dev.send({ from: funder, data, gas: 3_000_000n })).contractAddress!.toLowerCase();
  registry = AssetRegistry.parse({
    chains: [{ id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: chainId, nativeAsset: 'ETH' }],
    assets: [
      { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 2, minWithdrawal: '1', withdrawalFee: '1' },
      { id: 'USDT', chain: 'eth', decimals: 6, confirmations: 2, minWithdrawal: '1', withdrawalFee: '1', contract: token },
    ],
  });
  adapter = await createEvmAdapter({ chain: registry.chain('eth'), assets: [...registry.assets.values()], rpcUrl: anvil.rpcUrl });
  await db('hot_wallets').insert({ chain: 'eth', address: hot });
  await dev.setBalance(hot, 100n * ether);
  await initNonceAllocator(db, 'eth', hot, await adapter.nonceOf(hot, 'latest'));
}, 60_000);

afterAll(async () => {
  await adapter?.close();
  await anvil?.stop();
  await drop?.();
});

describe('treasury moves (MariaDB, private anvil)', () => {
  it('a contract call is asked by an admin and approved by M others; bad input and wrong deciders change nothing', async () => {
    const count = async () => Number(((await db('treasury_moves').count({ n: '*' })) as [{ n: number }])[0].n);
    const before = await count();
    const auditor = userPrincipal('ann', 'auditor');
    const bad: [Principal, Parameters<typeof requestContractCall>[4], string][] = [
      [auditor, { chain: 'eth', data: gateCode }, 'FORBIDDEN'],
      [alice, { chain: 'eth', to: '0x1234', data: '0x' }, 'INVALID_ADDRESS'],
      [alice, { chain: 'eth', to: '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', data: '0x' }, 'INVALID_ADDRESS'],
      [alice, { chain: 'eth', data: '0xabc' }, 'VALIDATION_FAILED'],
      [alice, { chain: 'eth', data: '0x' }, 'VALIDATION_FAILED'],
      [alice, { chain: 'eth', data: gateCode, value: '-1' }, 'VALIDATION_FAILED'],
      [alice, { chain: 'eth', data: gateCode, value: (1n << 256n).toString() }, 'VALIDATION_FAILED'],
      [alice, { chain: 'eth', data: gateCode, note: 'x'.repeat(501) }, 'VALIDATION_FAILED'],
      [alice, { chain: 'btc', data: gateCode }, 'UNSUPPORTED_CHAIN'],
    ];
    for (const [by, input, code] of bad) {
      await expect(requestContractCall(db, appendAudit, registry, by, input, 2), JSON.stringify(input)).rejects.toMatchObject({ code });
    }
    expect(await count()).toBe(before);
    const move = await requestContractCall(db, appendAudit, registry, alice, { chain: 'eth', data: gateCode, note: 'deploy a gate' }, 2);
    expect(move).toMatchObject({ status: MoveStatus.pendingReview, to: null, requiredApprovals: 2, requestedBy: 'user:alice' });
    await expect(decideMove(db, appendAudit, alice, move.id, 'approve')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(decideMove(db, appendAudit, auditor, move.id, 'approve')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(decideMove(db, appendAudit, bob, move.id, 'reject')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(decideMove(db, appendAudit, bob, 'tm_01JAAAAAAAAAAAAAAAAAAAAAAA', 'approve')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await decideMove(db, appendAudit, bob, move.id, 'approve')).status).toBe(MoveStatus.pendingReview);
    await expect(decideMove(db, appendAudit, bob, move.id, 'approve')).rejects.toMatchObject({ code: 'ALREADY_APPROVED' });
    // An approved move is not signed before its M-th approval.
    await sender().pass();
    expect((await getMove(db, move.id))!.txid).toBeNull();
    expect((await decideMove(db, appendAudit, carol, move.id, 'approve')).status).toBe(MoveStatus.approved);
    await expect(decideMove(db, appendAudit, userPrincipal('dave', 'admin'), move.id, 'reject', 'late')).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    // Deployed through the sender, with a crash between signing and sending: the same bytes are sent once.
    const nonce = await nextNonce();
    await sender('signsrv.treasury_move_signed').pass();
    const signed = await db('treasury_moves').where({ id: move.id }).first<{ txid: string }>();
    expect(signed).toMatchObject({ status: MoveStatus.signed, nonce: String(nonce) });
    expect(await adapter.isKnownTransaction(signed.txid)).toBe(false);
    expect(await drain(move.id)).toBe(MoveStatus.confirmed);
    const done = (await getMove(db, move.id))!;
    expect(done.txid).toBe(signed.txid);
    expect(done.fee! > 0n).toBe(true);
    expect((await code(done.contractAddress!)).length).toBeGreaterThan(2);
    expect(await nextNonce()).toBe(nonce + 1);
    expect(await adapter.nonceOf(hot, 'latest')).toBe(nonce + 1);
  });

  it('a call through review: close() runs; a call that would revert fails unsent; one that reverts when mined fails with its fee', async () => {
    const gate = (await dev.send({ from: funder, data: gateCode, gas: 1_000_000n })).contractAddress!;
    const open = async (address: string) =>
      BigInt(await dev.request<string>('eth_call', [{ to: address, data: selector('open()').slice(0, 10) }, 'latest']));
    // A payment into the gate while it is open, signed (estimated) then the gate closes before it is mined.
    const pay = await requestContractCall(db, appendAudit, registry, alice, { chain: 'eth', to: gate, data: '0x', value: '1000' }, 2);
    await approvedBy(pay.id, bob, carol);
    await sender('signsrv.treasury_move_signed').pass();
    expect((await getMove(db, pay.id))!.status).toBe(MoveStatus.signed);
    const close = await requestContractCall(
      db,
      appendAudit,
      registry,
      alice,
      { chain: 'eth', to: gate, data: selector('close()').slice(0, 10) },
      2,
    );
    await approvedBy(close.id, bob, carol);
    // The close runs at the next nonce, behind the payment: the payment is sent first, so close the gate directly.
    await dev.send({ from: funder, to: gate, data: selector('close()').slice(0, 10) });
    expect(await open(gate)).toBe(0n);
    expect(await drain(pay.id)).toBe(MoveStatus.failed);
    const reverted = (await getMove(db, pay.id))!;
    expect(reverted).toMatchObject({ reason: 'reverted' });
    expect(reverted.fee! > 0n).toBe(true);
    expect(reverted.block).not.toBeNull();
    expect(await drain(close.id)).toBe(MoveStatus.confirmed);
    // Now closed: a payment would revert: it fails without a transaction, and takes no nonce.
    const nonce = await nextNonce();
    const refused = await requestContractCall(db, appendAudit, registry, alice, { chain: 'eth', to: gate, data: '0x', value: '1' }, 2);
    await approvedBy(refused.id, bob, carol);
    expect(await drain(refused.id)).toBe(MoveStatus.failed);
    expect(await getMove(db, refused.id)).toMatchObject({ reason: 'would_revert', txid: null, nonce: null });
    expect(await nextNonce()).toBe(nonce);
  });

  it('a rejected move is never signed', async () => {
    const move = await requestContractCall(db, appendAudit, registry, alice, { chain: 'eth', data: gateCode }, 2);
    await decideMove(db, appendAudit, bob, move.id, 'approve');
    expect((await decideMove(db, appendAudit, carol, move.id, 'reject', 'not today')).status).toBe(MoveStatus.rejected);
    await sender().pass();
    expect((await getMove(db, move.id))!).toMatchObject({ status: MoveStatus.rejected, txid: null });
  });

  it('tiers: the excess over the cap becomes one cold transfer awaiting review; approved, exactly the excess reaches cold (ETH and a token)', async () => {
    const cold = `0x${randomBytes(20).toString('hex')}`;
    await dev.setBalance(hot, 30n * ether);
    await dev.send({ from: funder, to: token, data: `0x40c10f19${word(hot)}${word(7_000_000n)}` });
    const tiers: AssetTier[] = [
      { asset: 'ETH', chain: 'eth', cap: 20n * ether, floor: ether, cold },
      { asset: 'USDT', chain: 'eth', cap: 5_000_000n, floor: 1n, cold },
    ];
    const job = tierJob(tiers);
    await job.init();
    await job.pass();
    await job.pass();
    const moves = await db('treasury_moves')
      .where({ kind: 'cold_transfer', to_address: cold })
      .orderBy('asset')
      .select<{ id: string; asset: string; status: string; amount: string }[]>('id', 'asset', 'status', 'amount');
    expect(moves.map((m) => [m.asset, m.status, m.amount])).toEqual([
      ['ETH', 'pending_review', (10n * ether).toString()],
      ['USDT', 'pending_review', '2000000'],
    ]);
    // Unapproved: nothing moves.
    await sender().pass();
    expect(await adapter.balanceOf(cold)).toBe(0n);
    for (const m of moves) {
      await approvedBy(m.id, alice, bob);
      expect(await drain(m.id)).toBe(MoveStatus.confirmed);
    }
    expect(await adapter.balanceOf(cold)).toBe(10n * ether);
    expect(await adapter.tokenBalanceOf(token, cold)).toBe(2_000_000n);
    expect(await adapter.tokenBalanceOf(token, hot)).toBe(5_000_000n);
    // At the cap (ETH: below it by the gas): nothing more is planned.
    await job.pass();
    expect(await db('treasury_moves').where({ kind: 'cold_transfer', to_address: cold })).toHaveLength(2);
    // One open cold transfer per asset at most, whoever plans it.
    const plan = { chain: 'eth', asset: 'ETH', from: hot, to: cold, amount: 1n, approvals: 2, note: 't' };
    expect(await planColdTransfer(db, undefined, plan)).not.toBeNull();
    expect(await planColdTransfer(db, undefined, plan)).toBeNull();
  });

  it('floor: one alarm per episode; a refill from cold is recognised once and ends it; a transfer from anyone else is no refill', async () => {
    const cold = `0x${randomBytes(20).toString('hex')}`;
    await db('operated_addresses').insert({ chain: 'eth', address: cold, role: 'cold' });
    await dev.setBalance(cold, 100n * ether);
    await dev.request('anvil_impersonateAccount', [cold]);
    const follower = new RefillFollower({
      chain: registry.chain('eth'),
      adapter,
      registry,
      db,
      log,
      hotWallet: hot,
      coldAddresses: async () => db('operated_addresses').where({ chain: 'eth', role: 'cold' }).pluck('address'),
      audit: appendAudit,
    });
    await follower.pass(); // starts at the confirmed head
    await dev.setBalance(hot, 2n * ether);
    const low: string[] = [];
    const job = tierJob([{ asset: 'ETH', chain: 'eth', floor: 5n * ether }], (chain) => low.push(chain));
    await job.init();
    const before = (await alarms('hot_wallet_below_floor')).length;
    await job.pass();
    await job.pass();
    const raised = await alarms('hot_wallet_below_floor');
    expect(raised).toHaveLength(before + 1);
    expect(JSON.parse(raised.at(-1)!.details)).toMatchObject({
      asset: 'ETH',
      hot: (2n * ether).toString(),
      missing: (3n * ether).toString(),
    });
    expect((await db('treasury_tiers').where({ asset: 'ETH' }).first()).below_floor_since).not.toBeNull();
    // Each pass under the floor asks the chain's sweep job for a pass now.
    expect(low).toEqual(['eth', 'eth']);

    const refill = await dev.send({ from: cold, to: hot, value: 4n * ether });
    expect(refill.status).toBe('0x1');
    await dev.send({ from: funder, to: hot, value: 1n }); // not from cold: not a refill
    await dev.mine();
    await dev.mine();
    expect(await follower.pass()).toBe(1);
    expect(await follower.pass()).toBe(0);
    const refills = await db('treasury_moves')
      .where({ kind: 'refill' })
      .select<{ from_address: string; amount: string; status: string }[]>('from_address', 'amount', 'status');
    expect(refills.map((r) => [r.from_address.toLowerCase(), r.amount, r.status])).toEqual([
      [cold.toLowerCase(), (4n * ether).toString(), 'confirmed'],
    ]);
    await job.pass();
    expect((await db('treasury_tiers').where({ asset: 'ETH' }).first()).below_floor_since).toBeNull();
    // Under the floor again: a new episode, a new alarm.
    await dev.setBalance(hot, ether);
    await job.pass();
    expect(await alarms('hot_wallet_below_floor')).toHaveLength(before + 2);
  });
});

function tierJob(tiers: AssetTier[], onLow?: (chain: string) => void): Tiers {
  return new Tiers({
    ...(onLow === undefined ? {} : { onLow }),
    db,
    log,
    registry,
    tiers,
    hot: new Map([
      [
        'eth',
        {
          address: hot,
          read: (asset: string) => (asset === 'ETH' ? adapter.balanceOf(hot) : adapter.tokenBalanceOf(token, hot)),
        },
      ],
    ]),
    approvals: 2,
    audit: appendAudit,
  });
}
