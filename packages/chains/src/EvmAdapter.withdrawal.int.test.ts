import { readFileSync } from 'node:fs';
import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { isWalletError } from '@wallet/errors';
import { ContractFactory, Interface, type InterfaceAbi, Transaction, Wallet, getCreateAddress } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutgoingTx } from './ChainAdapter.js';
import { type EvmAdapter, createEvmAdapter } from './EvmAdapter.js';
import { type AnvilProcess, startAnvil, DevChain, randomAddress } from '@wallet/testkit';

// What the withdrawal sender needs from the EVM adapter, on a private anvil (mining is stopped and started here,
// which must not disturb other users of the local stack's): transactions signed with ethers, as signsrv will, and
// sent through the adapter. anvil 1.7.1's refusals, as this file checks them:
//   a mined nonce, the same transaction or another         -32003 "nonce too low"
//   the same transaction again while it is pending         -32003 "transaction already imported"
//   same nonce, fees not above the pending transaction's   -32003 "replacement transaction underpriced"
//   balance below gas x maxFeePerGas + value               -32003 "Insufficient funds for gas * price + value"
//   eth_estimateGas of a reverting call                     3 "execution reverted: custom error 0x8ac5ff0b", data

const chainId = 31339;
const chain: ChainSpec = { id: 'eth3', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: chainId, nativeAsset: 'ETH3' };
const native: AssetSpec = { id: 'ETH3', chain: 'eth3', decimals: 18, confirmations: 1, minWithdrawal: 1n, withdrawalFee: 1n };
/** anvil's first dev account: 10,000 ETH on every start. Public knowledge, so it signs on anvil only. */
const devKey = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const gwei = 10n ** 9n;
const ether = 10n ** 18n;

type Artifact = { abi: InterfaceAbi; bytecode: string };
/** A committed artifact of test/contracts (compiled from test/contracts/src; see its README). */
function artifact(name: 'Reverter' | 'TestToken'): Artifact {
  return JSON.parse(readFileSync(new URL(`../../../test/contracts/artifacts/${name}.json`, import.meta.url), 'utf8')) as Artifact;
}

/** The hash of a signed transaction, as ethers computes it (the adapter computes its own). */
function hashOf(rawTx: string): string {
  return Transaction.from(rawTx).hash!;
}

/** The WalletError `promise` rejects with (fails the test if it resolves or throws something else). */
async function rejection(promise: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  const error: unknown = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  if (!isWalletError(error)) throw error;
  return { code: error.code, details: { ...error.details } };
}

describe('EvmAdapter for withdrawals (private anvil)', () => {
  let anvil: AnvilProcess;
  let dev: DevChain;
  let adapter: EvmAdapter;
  const deployer = new Wallet(devKey);

  beforeAll(async () => {
    anvil = await startAnvil({ chainId });
    dev = new DevChain(anvil.rpcUrl);
    adapter = await createEvmAdapter({ chain, assets: [native], rpcUrl: anvil.rpcUrl });
  });
  afterAll(async () => {
    await adapter?.close();
    await anvil?.stop();
  });

  /** A fresh key holding `balance` wei: each test sends from its own, so nonces never depend on another test. */
  async function fundedWallet(balance = 100n * ether): Promise<Wallet> {
    const wallet = new Wallet(Wallet.createRandom().privateKey);
    await dev.request('anvil_setBalance', [wallet.address, `0x${balance.toString(16)}`]);
    return wallet;
  }

  type Unsigned = {
    to?: string | null;
    value?: bigint;
    data?: string;
    gasLimit?: bigint;
    maxFeePerGas?: bigint;
    maxPriorityFeePerGas?: bigint;
  };
  /** An EIP-1559 transaction signed by `wallet`; nonce: the next pending one unless given. */
  async function sign(wallet: Wallet, tx: Unsigned & { nonce?: number }): Promise<string> {
    return wallet.signTransaction({
      type: 2,
      chainId,
      nonce: tx.nonce ?? (await adapter.nonceOf(wallet.address, 'pending')),
      gasLimit: 21_000n,
      maxFeePerGas: 10n * gwei,
      maxPriorityFeePerGas: gwei,
      ...tx,
    });
  }

  /** The receipt of `txid`, polled until mined (within 10 s). */
  async function mined(txid: string): Promise<OutgoingTx> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const receipt = await adapter.receipt(txid);
      if (receipt !== null) return receipt;
      if (Date.now() > deadline) throw new Error(`${txid} not mined`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Signs, broadcasts through the adapter, and waits for the receipt (anvil automines). */
  async function send(wallet: Wallet, tx: Unsigned): Promise<OutgoingTx> {
    return mined(await adapter.broadcast(await sign(wallet, tx)));
  }

  /** Deploys an artifact from the dev account; returns its lower-case address. */
  async function deploy(name: 'Reverter' | 'TestToken', args: unknown[] = []): Promise<string> {
    const { abi, bytecode } = artifact(name);
    const { data } = await new ContractFactory(abi, bytecode).getDeployTransaction(...args);
    const nonce = await adapter.nonceOf(deployer.address, 'pending');
    const receipt = await send(deployer, { to: null, data, nonce, gasLimit: 3_000_000n } as Unsigned);
    expect(receipt).toMatchObject({ status: 'success', to: null, from: deployer.address.toLowerCase() });
    return getCreateAddress({ from: deployer.address, nonce }).toLowerCase();
  }

  /** Runs `during` with automine off, then mines one block holding what it sent. */
  async function inOneBlock(during: () => Promise<void>): Promise<void> {
    await dev.request('evm_setAutomine', [false]);
    try {
      await during();
      await dev.request('evm_mine');
    } finally {
      await dev.request('evm_setAutomine', [true]);
    }
  }

  it('reports outgoing transactions, successful and failed, with their exact fee, beside the deposits of the block', async () => {
    const reverter = await deploy('Reverter');
    const [hotA, hotB, stranger] = await Promise.all([fundedWallet(), fundedWallet(), fundedWallet()]);
    const hot = new Set([hotA.address.toLowerCase(), hotB.address.toLowerCase()]);
    const [depositA, depositB] = [randomAddress(), randomAddress()];
    const watched = new Set([depositA, depositB]);
    const balancesBefore = await Promise.all([adapter.balanceOf(hotA.address), adapter.balanceOf(hotB.address)]);

    let txids: string[] = [];
    await inOneBlock(async () => {
      txids = [
        // A withdrawal that lands on one of our deposit addresses: outgoing, and a deposit.
        await adapter.broadcast(await sign(hotA, { to: depositA, value: ether })),
        // A withdrawal that reverts: mined with status 0, its value stays, its fee is spent.
        await adapter.broadcast(await sign(hotB, { to: reverter, value: ether / 2n, gasLimit: 100_000n })),
        // A deposit from someone else: not outgoing.
        await adapter.broadcast(await sign(stranger, { to: depositB, value: 2n * ether })),
      ];
    });
    const [sent, failed, deposit] = await Promise.all(txids.map(mined));
    const number = sent!.blockNumber;
    expect(new Set([failed!.blockNumber, deposit!.blockNumber])).toEqual(new Set([number]));

    const scanned = await adapter.scanBlock(
      number,
      (a) => watched.has(a),
      (from) => hot.has(from),
    );
    expect(scanned?.txCount).toBe(3);
    expect(scanned?.outgoing).toEqual([sent, failed].sort((x, y) => x!.txIndex - y!.txIndex));
    expect(sent).toMatchObject({ txid: txids[0], from: hotA.address.toLowerCase(), to: depositA, status: 'success', gasUsed: 21_000n });
    expect(failed).toMatchObject({ txid: txids[1], from: hotB.address.toLowerCase(), to: reverter, status: 'failed' });
    expect(failed!.gasUsed).toBeGreaterThan(21_000n);

    // EIP-1559: the price paid is the block's base fee plus the tip (1 gwei; maxFeePerGas leaves room for all of it).
    const header = await dev.request<{ baseFeePerGas: string }>('eth_getBlockByNumber', [`0x${number.toString(16)}`, false]);
    const balancesAfter = await Promise.all([adapter.balanceOf(hotA.address), adapter.balanceOf(hotB.address)]);
    for (const tx of [sent!, failed!]) {
      expect(tx.effectiveGasPrice).toBe(BigInt(header.baseFeePerGas) + gwei);
      expect(tx.fee).toBe(tx.gasUsed * tx.effectiveGasPrice);
    }
    // The fee is what the sender lost beyond the value that moved (none, for the failed one).
    expect(balancesBefore[0] - balancesAfter[0]).toBe(ether + sent!.fee);
    expect(balancesBefore[1] - balancesAfter[1]).toBe(failed!.fee);

    // Deposits as before, the hot wallet's included; and the same block without isOutgoing.
    expect(scanned?.transfers.map((t) => ({ txid: t.txid, to: t.to, from: t.from, amount: t.amount }))).toEqual(
      [
        { txid: txids[0], to: depositA, from: hotA.address.toLowerCase(), amount: ether, txIndex: sent!.txIndex },
        { txid: txids[2], to: depositB, from: stranger.address.toLowerCase(), amount: 2n * ether, txIndex: deposit!.txIndex },
      ]
        .sort((x, y) => x.txIndex - y.txIndex)
        .map(({ txIndex: _txIndex, ...t }) => t),
    );
    const plain = await adapter.scanBlock(number, (a) => watched.has(a));
    expect(plain).toEqual({ ...scanned, outgoing: [] });
  });

  it('nonceOf: latest counts mined transactions, pending those in the pool too; receipt() and isKnownTransaction follow', async () => {
    const wallet = await fundedWallet();
    expect([await adapter.nonceOf(wallet.address, 'latest'), await adapter.nonceOf(wallet.address, 'pending')]).toEqual([0, 0]);
    const to = randomAddress();
    let txids: string[];
    await dev.request('evm_setAutomine', [false]);
    try {
      txids = [
        await adapter.broadcast(await sign(wallet, { to, value: 1n })),
        await adapter.broadcast(await sign(wallet, { to, value: 2n })),
      ];
      expect(await adapter.nonceOf(wallet.address.toLowerCase(), 'latest')).toBe(0);
      expect(await adapter.nonceOf(wallet.address, 'pending')).toBe(2);
      expect(await adapter.receipt(txids[0]!)).toBeNull();
      expect(await adapter.isKnownTransaction(txids[0]!)).toBe(true);
      expect(await adapter.isKnownTransaction(`0x${'12'.repeat(32)}`)).toBe(false);
      await dev.request('evm_mine');
    } finally {
      await dev.request('evm_setAutomine', [true]);
    }
    expect([await adapter.nonceOf(wallet.address, 'latest'), await adapter.nonceOf(wallet.address, 'pending')]).toEqual([2, 2]);
    const receipts = await Promise.all(txids.map((txid) => adapter.receipt(txid)));
    expect(receipts).toMatchObject([
      { txid: txids[0], status: 'success', to },
      { txid: txids[1], status: 'success', to },
    ]);
    expect(await adapter.isKnownTransaction(txids[1]!.toUpperCase().replace('0X', '0x'))).toBe(true);
    expect(await adapter.balanceOf(to)).toBe(3n);
  });

  it('broadcast: the same txid twice; a lower replacement is underpriced, a higher one replaces; a mined nonce is nonce_used', async () => {
    const wallet = await fundedWallet();
    const to = randomAddress();
    const first = await sign(wallet, { nonce: 0, to, value: 1n });
    const lower = await sign(wallet, { nonce: 0, to, value: 2n, maxFeePerGas: 10n * gwei - 1n });
    const same = await sign(wallet, { nonce: 0, to, value: 2n });
    // anvil compares maxFeePerGas: a higher tip alone does not replace.
    const tipOnly = await sign(wallet, { nonce: 0, to, value: 2n, maxPriorityFeePerGas: 2n * gwei });
    const higher = await sign(wallet, { nonce: 0, to, value: 3n, maxFeePerGas: 20n * gwei, maxPriorityFeePerGas: 2n * gwei });
    const [firstId, lowerId, sameId, higherId] = [hashOf(first), hashOf(lower), hashOf(same), hashOf(higher)];

    await inOneBlock(async () => {
      expect(await adapter.broadcast(first)).toBe(firstId);
      // Pending: anvil answers "transaction already imported", the adapter the same id.
      expect(await adapter.broadcast(first)).toBe(firstId);
      for (const [raw, txid] of [
        [lower, lowerId],
        [same, sameId],
        [tipOnly, hashOf(tipOnly)],
      ] as const) {
        expect(await rejection(adapter.broadcast(raw))).toMatchObject({
          code: 'CONFLICT',
          details: { reason: 'underpriced', txid, rpcMessage: 'replacement transaction underpriced' },
        });
      }
      expect(await adapter.broadcast(higher)).toBe(higherId);
      // The replaced transaction is gone from the pool; sending it again is now the underpriced one.
      expect(await adapter.isKnownTransaction(firstId)).toBe(false);
      expect(await adapter.isKnownTransaction(higherId)).toBe(true);
      expect(await rejection(adapter.broadcast(first))).toMatchObject({ code: 'CONFLICT', details: { reason: 'underpriced' } });
    });

    expect(await mined(higherId)).toMatchObject({ status: 'success', to });
    expect(await adapter.receipt(firstId)).toBeNull();
    expect(await adapter.isKnownTransaction(firstId)).toBe(false);
    expect(await adapter.balanceOf(to)).toBe(3n);

    // Mined: the very same transaction again, and another one with its nonce, are both "nonce too low".
    const another = await sign(wallet, { nonce: 0, to, value: 4n, maxFeePerGas: 30n * gwei });
    for (const [raw, txid] of [
      [higher, higherId],
      [another, hashOf(another)],
    ] as const) {
      expect(await rejection(adapter.broadcast(raw))).toEqual({
        code: 'CONFLICT',
        details: { method: 'eth_sendRawTransaction', reason: 'nonce_used', txid, rpcCode: -32003, rpcMessage: 'nonce too low' },
      });
    }
  });

  it('broadcast: insufficient funds and other refusals are VALIDATION_FAILED with the node message', async () => {
    const poor = await fundedWallet(21_000n * 10n * gwei - 1n);
    expect(await rejection(adapter.broadcast(await sign(poor, { to: randomAddress() })))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'insufficient_funds', rpcMessage: 'Insufficient funds for gas * price + value' },
    });
    const wallet = await fundedWallet();
    const otherChain = await wallet.signTransaction({
      type: 2,
      chainId: 1,
      nonce: 0,
      to: randomAddress(),
      gasLimit: 21_000n,
      maxFeePerGas: 10n * gwei,
      maxPriorityFeePerGas: gwei,
    });
    expect(await rejection(adapter.broadcast(otherChain))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'rejected', rpcMessage: 'invalid chain id for signer' },
    });
  });

  it('estimateGas: the gas of a call, or VALIDATION_FAILED execution_reverted with the revert data', async () => {
    const reverter = await deploy('Reverter');
    const token = await deploy('TestToken', ['Tether USD', 'USDT', 6]);
    const tokenAbi = new Interface(artifact('TestToken').abi);
    const wallet = await fundedWallet();
    const to = randomAddress();
    expect(await adapter.estimateGas({ from: wallet.address, to, value: ether })).toBe(21_000n);
    expect(await adapter.estimateGas({ from: wallet.address, to: to.toUpperCase().replace('0X', '0x'), data: '0x1234' })).toBe(21_080n);

    const refused = `0x${new Interface(artifact('Reverter').abi).getError('Refused')!.selector.slice(2)}`;
    expect(await rejection(adapter.estimateGas({ from: wallet.address, to: reverter, value: 1n }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { method: 'eth_estimateGas', reason: 'execution_reverted', rpcCode: 3, revertData: refused },
    });

    const transfer = tokenAbi.encodeFunctionData('transfer', [to, 1n]);
    const noBalance = await rejection(adapter.estimateGas({ from: wallet.address, to: token, data: transfer }));
    expect(noBalance).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'execution_reverted' } });
    expect(tokenAbi.parseError(noBalance.details['revertData'] as string)?.name).toBe('InsufficientBalance');

    await send(deployer, { to: token, data: tokenAbi.encodeFunctionData('mint', [wallet.address, 5n]), gasLimit: 100_000n });
    const gas = await adapter.estimateGas({ from: wallet.address, to: token, data: transfer });
    expect(gas).toBeGreaterThan(21_000n);
    expect(gas).toBeLessThan(100_000n);
  });

  it('balanceOf and tokenBalanceOf; a token transfer that reverts is an outgoing failure that cost exactly its fee', async () => {
    const token = await deploy('TestToken', ['Tether USD', 'USDT', 6]);
    const tokenAbi = new Interface(artifact('TestToken').abi);
    const holder = await fundedWallet(123n * ether + 45n);
    expect(await adapter.balanceOf(holder.address)).toBe(123n * ether + 45n);
    expect(await adapter.balanceOf(randomAddress())).toBe(0n);

    await send(deployer, { to: token, data: tokenAbi.encodeFunctionData('mint', [holder.address, 25_000_000n]), gasLimit: 100_000n });
    expect(await adapter.tokenBalanceOf(token.toUpperCase().replace('0X', '0x'), holder.address)).toBe(25_000_000n);
    expect(await adapter.tokenBalanceOf(token, randomAddress())).toBe(0n);
    // An address without code answers 0x: not a token.
    expect(await rejection(adapter.tokenBalanceOf(randomAddress(), holder.address))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'not_a_token', returnedBytes: 0 },
    });

    // More than the balance: TestToken reverts, mined with status 0 (an explicit gas limit skips estimation).
    const before = await adapter.balanceOf(holder.address);
    const transfer = tokenAbi.encodeFunctionData('transfer', [randomAddress(), 25_000_001n]);
    const failed = await send(holder, { to: token, data: transfer, gasLimit: 100_000n });
    expect(failed).toMatchObject({ status: 'failed', from: holder.address.toLowerCase(), to: token });
    expect(before - (await adapter.balanceOf(holder.address))).toBe(failed.fee);
    expect(await adapter.tokenBalanceOf(token, holder.address)).toBe(25_000_000n);
    const scanned = await adapter.scanBlock(
      failed.blockNumber,
      () => true,
      (from) => from === holder.address.toLowerCase(),
    );
    expect(scanned?.outgoing).toEqual([failed]);
    expect(scanned?.transfers).toEqual([]);
  });
});
