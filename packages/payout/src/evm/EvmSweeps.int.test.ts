import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AssetRegistry } from '@wallet/assets';
import { type EvmAdapter, createEvmAdapter } from '@wallet/chains';
import { type Db } from '@wallet/db';
import { accountDerivationPath } from '@wallet/keys';
import { createLogger } from '@wallet/logger';
import { SeedVault, evmDepositSigner, evmFeeWalletPath, evmHotWalletPath, evmSigner } from '@wallet/signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvmSweeps, type EvmSweepsOptions, SweepStatus } from './EvmSweeps.js';
import { type AnvilProcess, devRpc, startAnvil, createTestDatabase } from '@wallet/testkit';

// The sweep job in-process on a fresh MariaDB database and a private anvil (automine): the state machine advanced
// pass by pass, with a "crash" (the worker stopped at a crash point: the step's remaining code never runs) between
// every transition, and a new worker (nothing kept in memory) taking over. The whole cluster's view is
// test/integration/sweeps.test.ts.

const chainId = 31361;
const ether = 10n ** 18n;
const run = randomBytes(3).toString('hex');
const log = createLogger('sweeps-int', { level: 'silent' });

/** test/contracts' TestToken (a plain ERC20 with an open `mint`), as committed. */
const tokenBytecode = (
  JSON.parse(readFileSync(new URL('../../../../test/contracts/artifacts/TestToken.json', import.meta.url), 'utf8')) as { bytecode: string }
).bytecode;

/** One ABI word: a uint256, or an address (left-padded). */
function word(value: bigint | string): string {
  return (typeof value === 'bigint' ? value.toString(16) : value.toLowerCase().replace(/^0x/, '')).padStart(64, '0');
}

/** ABI encoding of a short string (under 32 bytes) in the tail: its length word, then its bytes right-padded. */
function shortString(text: string): string {
  return word(BigInt(text.length)) + Buffer.from(text, 'utf8').toString('hex').padEnd(64, '0');
}

let db: Db;
let drop: () => Promise<void>;
let anvil: AnvilProcess;
let adapter: EvmAdapter;
let registry: AssetRegistry;
let token: string;
let funder: string;
const vault = new SeedVault(randomBytes(16));
const depositKeys = vault.signer(evmDepositSigner, accountDerivationPath('eth', 'regtest'));
const feeWallet = vault.signer(evmSigner, evmFeeWalletPath);
const hotWallet = vault.signer(evmSigner, evmHotWalletPath).address;

/** anvil's JSON-RPC, for what the test does to the chain (balances, blocks, the funder's transactions). */
const dev = {
  request: <T>(method: string, params: unknown[] = []): Promise<T> => devRpc<T>(anvil.rpcUrl, method, params),
  /** Sends from an impersonated account (automine) and returns the receipt. */
  async send(tx: {
    from: string;
    to?: string;
    data: string;
    gas?: bigint;
    value?: bigint;
  }): Promise<{ status: string; contractAddress: string | null }> {
    const hash = await this.request<string>('eth_sendTransaction', [
      {
        from: tx.from,
        ...(tx.to === undefined ? {} : { to: tx.to }),
        data: tx.data,
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
  async mine(): Promise<void> {
    await this.request('evm_mine');
  },
};

/** A crash at `point`: the worker stops there (what follows in that step never runs), as kill -9 would stop it. */
class Crash extends Error {}
function crashAt(point: string | null): (name: string) => void {
  return (name) => {
    if (name === point) throw new Crash(name);
  };
}

/** A new worker, as a restarted signsrv builds it: nothing carried over but MySQL and the chain. */
function worker(options: Partial<EvmSweepsOptions> = {}): EvmSweeps {
  return new EvmSweeps({
    chain: registry.chain('eth'),
    adapter,
    registry,
    db,
    log,
    depositKeys,
    feeWallet,
    hotWallet,
    maxFeePerGas: 100n * 10n ** 9n,
    thresholds: { ETH: 10n ** 15n, USDT: 1_000_000n },
    maxInFlight: 50,
    rebroadcastAfterMs: 0,
    ...options,
  });
}

let nextIndex = 0;
/** A deposit address of a fresh account (index on the deposit account), as accountsrv records it. */
async function depositAddress(): Promise<{ address: string; index: number; accountId: string }> {
  const index = nextIndex++;
  const address = depositKeys.address(index);
  const accountId = `acc_${run}_${index}`;
  await db('accounts').insert({ id: accountId, client_id: 'cl_1', external_id: accountId, node_id: 't1' });
  await db('addresses').insert({
    chain: 'eth',
    address,
    derivation_index: index,
    path: `m/44'/60'/0'/0/${index}`,
    account_id: accountId,
    client_id: 'cl_1',
  });
  return { address, index, accountId };
}

let depositSeq = 0;
/** A credited deposit row as transrv's scanner and settlement leave it (the coins are put there separately). */
async function credited(address: string, accountId: string, asset: string, amount: bigint): Promise<void> {
  await db('deposits').insert({
    id: `dep_${run}_${++depositSeq}`,
    chain: 'eth',
    txid: `0x${randomBytes(32).toString('hex')}`,
    output_index: asset === 'ETH' ? -1 : 0,
    asset,
    address: address.toLowerCase(),
    account_id: accountId,
    client_id: 'cl_1',
    node_id: 't1',
    amount: amount.toString(),
    block_number: 1,
    block_hash: '0x00',
    status: 'credited',
    credited_at: db.raw('CURRENT_TIMESTAMP(3) - INTERVAL 1 SECOND'),
  });
}

/** Sets a balance, then mines the blocks that give it the native confirmations (sweeps read confirmed balances). */
async function setBalance(address: string, wei: bigint): Promise<void> {
  await dev.request('anvil_setBalance', [address, `0x${wei.toString(16)}`]);
  await dev.mine();
  await dev.mine();
}

async function mint(to: string, amount: bigint): Promise<void> {
  // mint(address,uint256): selector 0x40c10f19, then the two words.
  const receipt = await dev.send({ from: funder, to: token, data: `0x40c10f19${word(to)}${word(amount)}` });
  expect(receipt.status).toBe('0x1');
  await dev.mine();
}

async function tokenBalance(address: string): Promise<bigint> {
  return adapter.tokenBalanceOf(token, address);
}

async function sweepOf(address: string): Promise<Record<string, unknown>[]> {
  return db('sweeps').where({ address: address.toLowerCase() }).orderBy('id');
}

/** Passes of fresh workers until no sweep is open (each pass moves each sweep by at most one step). */
async function drain(crash: string | null = null, passes = 12): Promise<void> {
  for (let i = 0; i < passes; i++) {
    await worker({ crash: crashAt(crash) }).pass();
    const [open] = (await db.raw(`SELECT COUNT(*) AS n FROM sweeps WHERE open_address IS NOT NULL`)) as [{ n: number }[]];
    if (Number(open[0]!.n) === 0) return;
    await dev.mine();
  }
}

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
  anvil = await startAnvil({ chainId });
  funder = `0x${randomBytes(20).toString('hex')}`;
  await setBalance(funder, 1000n * ether);
  await dev.request('anvil_impersonateAccount', [funder]);
  // constructor(string name, string symbol, uint8 decimals): head (two offsets and the decimals), then the strings.
  const data = `${tokenBytecode}${word(0x60n)}${word(0xa0n)}${word(6n)}${shortString('Tether USD')}${shortString('USDT')}`;
  const deployed = await dev.send({ from: funder, data, gas: 3_000_000n });
  token = deployed.contractAddress!.toLowerCase();
  registry = AssetRegistry.parse({
    chains: [{ id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: chainId, nativeAsset: 'ETH' }],
    assets: [
      // Two confirmations: the top-up is mined a block before the sweep may be signed.
      { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 2, minWithdrawal: '1', withdrawalFee: '1' },
      { id: 'USDT', chain: 'eth', decimals: 6, confirmations: 2, minWithdrawal: '1', withdrawalFee: '1', contract: token },
    ],
  });
  adapter = await createEvmAdapter({ chain: registry.chain('eth'), assets: [...registry.assets.values()], rpcUrl: anvil.rpcUrl });
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('clients').insert({ id: 'cl_1', name: 'Exchange', key_id: `k_${run}`, secret: 's' });
  await setBalance(feeWallet.address, 100n * ether);
}, 60_000);

afterAll(async () => {
  await adapter?.close();
  await anvil?.stop();
  await drop?.();
});

describe('EvmSweeps (MariaDB, private anvil)', () => {
  it('sweeps a deposit address to the hot wallet: the balance minus the exact fee, nothing left, the fee on the row', async () => {
    const { address, accountId } = await depositAddress();
    const deposited = ether + 12_345n;
    await setBalance(address, deposited);
    await credited(address, accountId, 'ETH', deposited);
    const hotBefore = await adapter.balanceOf(hotWallet);
    await drain();
    const [row] = await sweepOf(address);
    expect(row).toMatchObject({ status: SweepStatus.confirmed, asset: 'ETH', topup_txid: null, leftover_native: '0' });
    const fee = BigInt(String(row!['sweep_fee']));
    expect(fee).toBe(21_000n * BigInt(String(row!['gas_price'])));
    expect(BigInt(String(row!['amount'])) + fee).toBe(deposited);
    expect(await adapter.balanceOf(address)).toBe(0n);
    expect((await adapter.balanceOf(hotWallet)) - hotBefore).toBe(deposited - fee);
    // Swept once: the deposit address sent one transaction, and no later pass plans another.
    expect(await adapter.nonceOf(address, 'latest')).toBe(1);
    await drain();
    expect(await sweepOf(address)).toHaveLength(1);
  });

  it('sweeps only what has the confirmations: a deposit still in its first block stays for the next sweep', async () => {
    const { address, accountId } = await depositAddress();
    await setBalance(address, ether);
    await credited(address, accountId, 'ETH', ether);
    const fresh = ether / 2n;
    expect((await dev.send({ from: funder, to: address, data: '0x', value: fresh })).status).toBe('0x1'); // one confirmation of two
    const id = await worker().planOne(address, 'ETH');
    const [row] = await sweepOf(address);
    expect(row!['id']).toBe(id);
    expect(BigInt(String(row!['amount'])) + 21_000n * BigInt(String(row!['gas_price']))).toBe(ether);
    await drain();
    expect(await sweepOf(address)).toMatchObject([{ status: SweepStatus.confirmed }]);
    expect(await adapter.balanceOf(address)).toBe(fresh);
  });

  it('leaves dust: a balance below the threshold after the fee is not swept', async () => {
    const { address, accountId } = await depositAddress();
    await setBalance(address, 10n ** 15n);
    await credited(address, accountId, 'ETH', 10n ** 15n);
    await drain();
    expect(await sweepOf(address)).toHaveLength(0);
    expect(await adapter.balanceOf(address)).toBe(10n ** 15n);
  });

  it('one open sweep per deposit address, by the unique key: a second row is refused, a second planner gets nothing', async () => {
    const { address, accountId } = await depositAddress();
    await setBalance(address, ether);
    await credited(address, accountId, 'ETH', ether);
    const planned = await Promise.all([worker().planOne(address, 'ETH'), worker().planOne(address, 'ETH')]);
    expect(planned.filter((id) => id !== null)).toHaveLength(1);
    const [row] = await sweepOf(address);
    await expect(db('sweeps').insert({ ...row, id: `swp_${run}_dup`, open_address: undefined })).rejects.toMatchObject({
      code: 'ER_DUP_ENTRY',
    });
    await drain();
    expect(await sweepOf(address)).toMatchObject([{ status: SweepStatus.confirmed }]);
  });

  for (const point of ['signsrv.sweep_signed', 'signsrv.sweep_sent']) {
    it(`native: a crash at ${point}, then a new worker: one sweep, the stored transaction the one mined`, async () => {
      const { address, accountId } = await depositAddress();
      await setBalance(address, 2n * ether);
      await credited(address, accountId, 'ETH', 2n * ether);
      await worker({ crash: crashAt(point) }).pass(); // planned
      await worker({ crash: crashAt(point) }).pass(); // signed, and stopped at the crash point
      const [stopped] = await sweepOf(address);
      expect(stopped!['status']).toBe(SweepStatus.signed);
      await drain();
      const [row] = await sweepOf(address);
      expect(row).toMatchObject({ status: SweepStatus.confirmed, sweep_txid: stopped!['sweep_txid'], sweep_raw: stopped!['sweep_raw'] });
      expect(await adapter.nonceOf(address, 'latest')).toBe(1);
      expect(await adapter.balanceOf(address)).toBe(0n);
    });
  }

  it('ERC20: the top-up is confirmed before the token sweep is signed; the leftover gas is recorded', async () => {
    const { address, accountId } = await depositAddress();
    await mint(address, 5_000_000n);
    await credited(address, accountId, 'USDT', 5_000_000n);
    const hotBefore = await tokenBalance(hotWallet);
    const feeNonce = await adapter.nonceOf(feeWallet.address, 'latest');

    await worker().pass(); // planned, with the top-up it needs
    let [row] = await sweepOf(address);
    expect(row).toMatchObject({ status: SweepStatus.planned, topup_txid: null, sweep_txid: null });
    expect(BigInt(String(row!['topup_amount']))).toBe(BigInt(String(row!['gas_limit'])) * BigInt(String(row!['gas_price'])));

    await worker().pass(); // top-up signed and sent (mined at once: one confirmation of two)
    [row] = await sweepOf(address);
    expect(row).toMatchObject({ status: SweepStatus.planned, sweep_txid: null });
    expect(await adapter.receipt(String(row!['topup_txid']))).not.toBeNull();
    await worker().pass(); // still one confirmation: no sweep signed
    [row] = await sweepOf(address);
    expect(row).toMatchObject({ status: SweepStatus.planned, sweep_txid: null });

    await dev.mine(); // two confirmations
    await worker().pass();
    [row] = await sweepOf(address);
    expect(row!['status']).toBe(SweepStatus.toppedUp);
    const topupReceipt = (await adapter.receipt(String(row!['topup_txid'])))!;
    expect(row!['topup_fee']).toBe(topupReceipt.fee.toString());

    await drain();
    [row] = await sweepOf(address);
    expect(row!['status']).toBe(SweepStatus.confirmed);
    const sweepReceipt = (await adapter.receipt(String(row!['sweep_txid'])))!;
    expect(sweepReceipt.blockNumber).toBeGreaterThan(topupReceipt.blockNumber);
    expect(await tokenBalance(address)).toBe(0n);
    expect((await tokenBalance(hotWallet)) - hotBefore).toBe(5_000_000n);
    // The gas bought and not burnt stays on the address, and the row says how much.
    expect(BigInt(String(row!['leftover_native']))).toBe(await adapter.balanceOf(address));
    expect(BigInt(String(row!['topup_amount'])) - sweepReceipt.fee).toBe(await adapter.balanceOf(address));
    expect(await adapter.nonceOf(feeWallet.address, 'latest')).toBe(feeNonce + 1);
  });

  for (const point of ['signsrv.sweep_topup_signed', 'signsrv.sweep_topup_sent', 'signsrv.sweep_signed', 'signsrv.sweep_sent']) {
    it(`ERC20: a crash at ${point} on every pass it is reached, then new workers: one top-up, one sweep, no gas lost`, async () => {
      const { address, accountId } = await depositAddress();
      await mint(address, 7_000_000n);
      await credited(address, accountId, 'USDT', 7_000_000n);
      const hotBefore = await tokenBalance(hotWallet);
      const feeNonce = await adapter.nonceOf(feeWallet.address, 'latest');
      // Crashing wherever the point is reached, until the sweep has passed it; then plain workers.
      for (let i = 0; i < 6; i++) {
        await worker({ crash: crashAt(point) }).pass();
        await dev.mine();
      }
      await drain();
      const rows = await sweepOf(address);
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row['status']).toBe(SweepStatus.confirmed);
      expect((await adapter.receipt(String(row['sweep_txid'])))?.status).toBe('success');
      expect(await tokenBalance(address)).toBe(0n);
      expect((await tokenBalance(hotWallet)) - hotBefore).toBe(7_000_000n);
      expect(await adapter.nonceOf(feeWallet.address, 'latest')).toBe(feeNonce + 1);
      expect(await adapter.nonceOf(address, 'latest')).toBe(1);
      expect(BigInt(String(row['leftover_native']))).toBe(await adapter.balanceOf(address));
    });
  }

  it('the fee wallet used outside the job: nonce_ahead alarm, and the next top-up takes a nonce past it', async () => {
    await worker().pass(); // the allocator in step with the chain
    const nonce = await adapter.nonceOf(feeWallet.address, 'latest');
    const outside = feeWallet.sign({
      chainId,
      nonce,
      to: funder,
      value: 1n,
      data: '0x',
      gasLimit: 21_000n,
      maxFeePerGas: 10n ** 10n,
      maxPriorityFeePerGas: 10n ** 9n,
    });
    await adapter.broadcast(outside.raw);
    const { address, accountId } = await depositAddress();
    await mint(address, 2_000_000n);
    await credited(address, accountId, 'USDT', 2_000_000n);
    await drain();
    const alarms = await db('sign_alerts').where({ kind: 'nonce_ahead' });
    expect(alarms.map((a: { details: string }) => JSON.parse(a.details) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ address: feeWallet.address, aheadBy: 1 }),
    );
    expect(await sweepOf(address)).toMatchObject([{ status: SweepStatus.confirmed, topup_nonce: String(nonce + 1) }]);
  });

  it('at most maxInFlight open sweeps on the chain', async () => {
    const addresses = [];
    for (let i = 0; i < 3; i++) {
      const { address, accountId } = await depositAddress();
      await setBalance(address, ether);
      await credited(address, accountId, 'ETH', ether);
      addresses.push(address);
    }
    const planned = await worker({ maxInFlight: 2 }).plan();
    expect(planned).toHaveLength(2);
    expect(await worker({ maxInFlight: 2 }).plan()).toHaveLength(0);
    await drain();
    for (const address of addresses) expect(await sweepOf(address)).toMatchObject([{ status: SweepStatus.confirmed }]);
  });
});
