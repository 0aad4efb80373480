import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { isWalletError } from '@wallet/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObservedTransfer } from './ChainAdapter.js';
import { type EvmAdapter, createEvmAdapter } from './EvmAdapter.js';
import {
  type AnvilProcess,
  startAnvil,
  DevChain,
  randomAddress,
  type FakeNode,
  startFakeNode,
  revertingRuntime,
  transferCalldata,
  transferEmitterRuntime,
} from '@wallet/testkit';

// Real anvil: the local stack's (deploy/local/stack.sh up) for deposits, and a private one on chain id 31338 for a
// second EVM chain and for what must not disturb other users of the shared node (stopping mining, signing with
// the dev accounts, reorgs).

const ethRpcUrl = process.env['ETH_RPC_URL'] ?? 'http://127.0.0.1:8545';
const ethChainId = Number(process.env['ETH_CHAIN_ID'] ?? 31337);
const secondChainId = 31338;

const eth: ChainSpec = { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: ethChainId, nativeAsset: 'ETH' };
const eth2: ChainSpec = { id: 'eth2', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: secondChainId, nativeAsset: 'ETH2' };
const asset = (id: string, chain: string, contract?: string): AssetSpec => ({
  id,
  chain,
  decimals: 18,
  confirmations: 1,
  minWithdrawal: 1n,
  withdrawalFee: 1n,
  ...(contract === undefined ? {} : { contract }),
});

/** The WalletError `promise` rejects with (fails the test if it resolves or throws something else). */
async function rejection(promise: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  const error: unknown = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
  if (!isWalletError(error)) throw error;
  return { code: error.code, details: { ...error.details } };
}

const watched = new Set<string>();
const isWatched = (address: string): boolean => watched.has(address);
/** A new address the scanner watches. */
function watchedAddress(): string {
  const address = randomAddress();
  watched.add(address);
  return address;
}

describe('EvmAdapter on the local stack anvil', () => {
  const dev = new DevChain(ethRpcUrl);
  let adapter: EvmAdapter;
  let sender: string;
  /** The listed token, and a contract emitting the very same logs that is not listed. */
  let token: string;
  let spoof: string;

  beforeAll(async () => {
    sender = await dev.fundedAccount();
    token = await dev.deploy(sender, transferEmitterRuntime);
    spoof = await dev.deploy(sender, transferEmitterRuntime);
    // The registry holds EIP-55 addresses; any case must match the lower-case log address.
    const contract = `0x${token.slice(2).toUpperCase()}`;
    adapter = await createEvmAdapter({ chain: eth, assets: [asset('ETH', 'eth'), asset('TKN', 'eth', contract)], rpcUrl: ethRpcUrl });
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it('reports native ETH to a watched address with exact amount, txid, sender and block', async () => {
    const to = watchedAddress();
    const amount = 1_234_567_890_123_456_789n;
    const receipt = await dev.send({ from: sender, to, value: amount });
    const scanned = await adapter.scanBlock(Number(receipt.blockNumber), isWatched);
    // Other users of the shared anvil may have transactions in the same block, never to this fresh address.
    expect(scanned?.txCount).toBeGreaterThanOrEqual(1);
    expect(scanned?.block.hash).toBe(receipt.blockHash);
    expect(scanned?.transfers).toEqual([
      {
        chain: 'eth',
        asset: 'ETH',
        txid: receipt.transactionHash,
        outputIndex: -1,
        to,
        from: sender,
        amount,
        blockNumber: Number(receipt.blockNumber),
        blockHash: receipt.blockHash,
      } satisfies ObservedTransfer,
    ]);
  });

  it('ignores ETH to an unwatched address, and zero-value transactions to a watched one', async () => {
    const unwatched = await dev.send({ from: sender, to: randomAddress(), value: 10n ** 18n });
    const zero = await dev.send({ from: sender, to: watchedAddress(), value: 0n });
    for (const receipt of [unwatched, zero]) {
      const scanned = await adapter.scanBlock(Number(receipt.blockNumber), isWatched);
      expect(scanned?.txCount).toBeGreaterThanOrEqual(1);
      expect(scanned?.transfers).toEqual([]);
    }
  });

  it('does not report a failed transaction (status 0) that sent ETH to a watched address', async () => {
    const reverter = await dev.deploy(sender, revertingRuntime);
    watched.add(reverter);
    // An explicit gas limit skips estimation, which would refuse the transaction: it is mined and fails.
    const receipt = await dev.send({ from: sender, to: reverter, value: 10n ** 18n, gas: 100_000n });
    expect(receipt.status).toBe('0x0');
    expect(await dev.request('eth_getBalance', [reverter, 'latest'])).toBe('0x0');
    expect(await adapter.scanBlock(Number(receipt.blockNumber), isWatched)).toMatchObject({ transfers: [] });
  });

  it('reports a Transfer log of the listed token, at its log index', async () => {
    const to = watchedAddress();
    const from = randomAddress();
    const receipt = await dev.send({ from: sender, to: token, data: transferCalldata({ from, to, amount: 5_000_000n }) });
    const scanned = await adapter.scanBlock(Number(receipt.blockNumber), isWatched);
    expect(scanned?.transfers).toEqual([
      {
        chain: 'eth',
        asset: 'TKN',
        txid: receipt.transactionHash,
        outputIndex: Number(receipt.logs[0]!.logIndex),
        to,
        from,
        amount: 5_000_000n,
        blockNumber: Number(receipt.blockNumber),
        blockHash: receipt.blockHash,
      },
    ]);
  });

  it.each([
    ['an unlisted contract (spoof) emitting the same log', { spoofed: true }],
    ['4 topics', { extraTopic: 1n }],
    ['31 bytes of data', { dataSize: 31 }],
    ['64 bytes of data', { dataSize: 64 }],
    ['amount 0', { amount: 0n }],
    ['an unwatched recipient', { unwatched: true }],
  ])(
    'ignores a Transfer log with %s',
    async (_case, variant: { spoofed?: boolean; extraTopic?: bigint; dataSize?: number; amount?: bigint; unwatched?: boolean }) => {
      const to = variant.unwatched === true ? randomAddress() : watchedAddress();
      const data = transferCalldata({
        from: sender,
        to,
        amount: variant.amount ?? 100n,
        ...(variant.extraTopic === undefined ? {} : { extraTopic: variant.extraTopic }),
        ...(variant.dataSize === undefined ? {} : { dataSize: variant.dataSize }),
      });
      const receipt = await dev.send({ from: sender, to: variant.spoofed === true ? spoof : token, data });
      // The log is there: only the adapter's rules keep it out.
      expect(receipt.logs).toHaveLength(1);
      expect(await adapter.scanBlock(Number(receipt.blockNumber), isWatched)).toMatchObject({ transfers: [] });
    },
  );

  it('sees no log of a reverted transaction: a failed transaction has none, in its receipt or in eth_getLogs', async () => {
    const to = watchedAddress();
    const data = transferCalldata({ from: sender, to, amount: 100n, revert: true });
    const receipt = await dev.send({ from: sender, to: token, data, gas: 100_000n });
    expect(receipt.status).toBe('0x0');
    expect(receipt.logs).toEqual([]);
    expect(await dev.request('eth_getLogs', [{ fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber }])).toEqual([]);
    expect(await adapter.scanBlock(Number(receipt.blockNumber), isWatched)).toMatchObject({ transfers: [] });
  });

  it('keeps head, blockRef, scanBlock and parent hashes consistent', async () => {
    await dev.send({ from: sender, to: randomAddress(), value: 1n });
    const head = await adapter.head();
    const node = await dev.request<{ hash: string; parentHash: string; timestamp: string }>('eth_getBlockByNumber', [
      `0x${head.number.toString(16)}`,
      false,
    ]);
    expect(head).toEqual({ number: head.number, hash: node.hash, parentHash: node.parentHash, timestamp: Number(node.timestamp) });
    expect(await adapter.blockRef(head.number)).toEqual(head);
    expect((await adapter.scanBlock(head.number, isWatched))?.block).toEqual(head);
    const parent = await adapter.blockRef(head.number - 1);
    expect(parent?.hash).toBe(head.parentHash);
    expect(parent?.number).toBe(head.number - 1);
    expect(await adapter.blockRef(0)).toMatchObject({ number: 0 });
    expect(await adapter.blockRef(head.number + 10_000)).toBeNull();
    expect(await adapter.scanBlock(head.number + 10_000, isWatched)).toBeNull();
  });

  it('estimates EIP-1559 fees from the next block base fee and the node tip', async () => {
    const fees = await adapter.feeEstimate();
    const pending = await dev.request<{ baseFeePerGas: string }>('eth_getBlockByNumber', ['pending', false]);
    const tip = BigInt(await dev.request<string>('eth_maxPriorityFeePerGas'));
    expect(fees).toEqual({
      kind: 'eip1559',
      baseFeePerGas: BigInt(pending.baseFeePerGas),
      maxPriorityFeePerGas: tip,
      maxFeePerGas: 2n * BigInt(pending.baseFeePerGas) + tip,
    });
  });
});

describe('EvmAdapter on a second EVM chain (private anvil, chain id 31338)', () => {
  let anvil: AnvilProcess;
  let dev: DevChain;
  let adapter: EvmAdapter;
  let token: string;
  let proxy: FakeNode | undefined;

  beforeAll(async () => {
    anvil = await startAnvil({ chainId: secondChainId });
    dev = new DevChain(anvil.rpcUrl);
    token = await dev.deploy(await dev.fundedAccount(), transferEmitterRuntime);
    adapter = await createEvmAdapter({ chain: eth2, assets: [asset('ETH2', 'eth2'), asset('TKN2', 'eth2', token)], rpcUrl: anvil.rpcUrl });
  });
  afterAll(async () => {
    await adapter?.close();
    await proxy?.close();
    await anvil?.stop();
  });

  it('is configured like the first: its own chain id, assets and blocks', async () => {
    const shared = await createEvmAdapter({ chain: eth, assets: [asset('ETH', 'eth')], rpcUrl: ethRpcUrl });
    try {
      const to = watchedAddress();
      const receipt = await dev.send({ from: await dev.fundedAccount(), to, value: 42n });
      const number = Number(receipt.blockNumber);
      const scanned = await adapter.scanBlock(number, isWatched);
      expect(adapter.evmChainId).toBe(secondChainId);
      expect(scanned?.transfers).toMatchObject([{ chain: 'eth2', asset: 'ETH2', txid: receipt.transactionHash, to, amount: 42n }]);
      expect(scanned?.block.hash).toBe(receipt.blockHash);
      // The same height on the other chain is another block (or none yet), without this transfer.
      const other = await shared.scanBlock(number, isWatched);
      expect(other?.block.hash).not.toBe(receipt.blockHash);
      expect(other?.transfers.map((t) => t.txid) ?? []).not.toContain(receipt.transactionHash);
    } finally {
      await shared.close();
    }
  });

  it('refuses at start a node whose eth_chainId is not the configured one', async () => {
    const wrongNode = await rejection(createEvmAdapter({ chain: eth, assets: [asset('ETH', 'eth')], rpcUrl: anvil.rpcUrl }));
    expect(wrongNode).toEqual({ code: 'CONFIG_INVALID', details: { chain: 'eth', configured: ethChainId, node: secondChainId } });
    const wrongChain = await rejection(createEvmAdapter({ chain: eth2, assets: [asset('ETH2', 'eth2')], rpcUrl: ethRpcUrl }));
    expect(wrongChain).toMatchObject({ code: 'CONFIG_INVALID', details: { configured: secondChainId, node: ethChainId } });
  });

  /** Mines one block holding several deposits and decoys; returns its number and the expected transfers in chain order. */
  async function mineMixedBlock(): Promise<{ number: number; expected: ObservedTransfer[] }> {
    const [a, b] = [watchedAddress(), watchedAddress()];
    const senders = await Promise.all(Array.from({ length: 7 }, () => dev.fundedAccount()));
    const txs = [
      { to: a, value: 1_000n },
      { to: token, data: transferCalldata({ from: senders[1]!, to: b, amount: 2_000n }) },
      { to: randomAddress(), value: 3_000n },
      { to: b, value: 0n },
      { to: token, data: transferCalldata({ from: senders[4]!, to: randomAddress(), amount: 5_000n }) },
      { to: token, data: transferCalldata({ from: senders[5]!, to: a, amount: 6_000n }) },
      { to: b, value: 7_000n },
    ];
    await dev.request('evm_setAutomine', [false]);
    let hashes: string[];
    try {
      // One sender each: with mining stopped, anvil would hand out one nonce twice.
      hashes = await Promise.all(
        txs.map((tx, i) =>
          dev.request<string>('eth_sendTransaction', [{ from: senders[i], ...tx, value: `0x${(tx.value ?? 0n).toString(16)}` }]),
        ),
      );
      await dev.request('evm_mine');
    } finally {
      await dev.request('evm_setAutomine', [true]);
    }
    const receipts = await Promise.all(hashes.map((hash) => dev.receipt(hash)));
    const block = receipts[0]!;
    expect(new Set(receipts.map((r) => r.blockHash)).size).toBe(1);
    const byIndex = (i: number): { txid: string; txIndex: number; logIndex: number } => {
      const r = receipts[i]!;
      return {
        txid: r.transactionHash,
        txIndex: Number((r as unknown as { transactionIndex: string }).transactionIndex),
        logIndex: Number(r.logs[0]?.logIndex ?? -1),
      };
    };
    const common = { chain: 'eth2', blockNumber: Number(block.blockNumber), blockHash: block.blockHash };
    const expected = [
      {
        ...byIndex(0),
        transfer: { ...common, asset: 'ETH2', txid: byIndex(0).txid, outputIndex: -1, to: a, from: senders[0]!, amount: 1_000n },
      },
      {
        ...byIndex(1),
        transfer: {
          ...common,
          asset: 'TKN2',
          txid: byIndex(1).txid,
          outputIndex: byIndex(1).logIndex,
          to: b,
          from: senders[1]!,
          amount: 2_000n,
        },
      },
      {
        ...byIndex(5),
        transfer: {
          ...common,
          asset: 'TKN2',
          txid: byIndex(5).txid,
          outputIndex: byIndex(5).logIndex,
          to: a,
          from: senders[5]!,
          amount: 6_000n,
        },
      },
      {
        ...byIndex(6),
        transfer: { ...common, asset: 'ETH2', txid: byIndex(6).txid, outputIndex: -1, to: b, from: senders[6]!, amount: 7_000n },
      },
    ].sort((x, y) => x.txIndex - y.txIndex);
    return { number: Number(block.blockNumber), expected: expected.map((e) => e.transfer) };
  }

  it('reports every deposit of a block with many transactions, in chain order', async () => {
    const { number, expected } = await mineMixedBlock();
    const scanned = await adapter.scanBlock(number, isWatched);
    expect(scanned?.txCount).toBe(7);
    expect(scanned?.transfers).toEqual(expected);
  });

  it('falls back to batched eth_getTransactionReceipt on a node without eth_getBlockReceipts, once and for all', async () => {
    proxy = await startFakeNode({
      upstream: anvil.rpcUrl,
      answer: (call) =>
        call.method === 'eth_getBlockReceipts'
          ? { error: { code: -32601, message: 'the method eth_getBlockReceipts does not exist' } }
          : 'forward',
    });
    const proxied = await createEvmAdapter({
      chain: eth2,
      assets: [asset('ETH2', 'eth2'), asset('TKN2', 'eth2', token)],
      rpcUrl: proxy.url,
      maxBatchSize: 3,
    });
    try {
      const { number, expected } = await mineMixedBlock();
      expect((await proxied.scanBlock(number, isWatched))?.transfers).toEqual(expected);
      expect((await proxied.scanBlock(number - 1, isWatched))?.block).toEqual(await adapter.blockRef(number - 1));
      const methods = proxy.calls.map((c) => c.method);
      expect(methods.filter((m) => m === 'eth_getBlockReceipts')).toHaveLength(1);
      expect(methods.filter((m) => m === 'eth_getTransactionReceipt').length).toBeGreaterThanOrEqual(7);
    } finally {
      await proxied.close();
    }
  });

  it('broadcasts a signed transaction idempotently, reports a mined one as CONFLICT and a rejected one as VALIDATION_FAILED', async () => {
    const [devAccount] = await dev.request<string[]>('eth_accounts');
    const rawTx = await dev.request<string>('eth_signTransaction', [
      { from: devAccount, to: randomAddress(), value: '0x1', gas: '0x5208' },
    ]);
    await dev.request('evm_setAutomine', [false]);
    let txid: string;
    try {
      txid = await adapter.broadcast(rawTx);
      // Sent again while pending: the node answers "already imported"; the adapter answers the same id.
      expect(await adapter.broadcast(rawTx)).toBe(txid);
      await dev.request('evm_mine');
    } finally {
      await dev.request('evm_setAutomine', [true]);
    }
    expect((await dev.receipt(txid)).status).toBe('0x1');
    // Mined: anvil answers "nonce too low", as for any other transaction with that nonce.
    expect(await rejection(adapter.broadcast(rawTx))).toMatchObject({ code: 'CONFLICT', details: { reason: 'nonce_used', txid } });
    expect((await rejection(adapter.broadcast('0x1234'))).code).toBe('VALIDATION_FAILED');
  });

  it('follows a reorg: the same height then holds another block, whose parent is unchanged', async () => {
    const snapshot = await dev.request<string>('evm_snapshot');
    const to = watchedAddress();
    const before = await dev.send({ from: await dev.fundedAccount(), to, value: 1n });
    const number = Number(before.blockNumber);
    expect((await adapter.scanBlock(number, isWatched))?.transfers).toHaveLength(1);
    await dev.request('evm_revert', [snapshot]);
    await dev.request('evm_mine');
    const after = await adapter.scanBlock(number, isWatched);
    expect(after?.block.hash).not.toBe(before.blockHash);
    expect(after?.transfers).toEqual([]);
    expect(after?.block.parentHash).toBe((await adapter.blockRef(number - 1))?.hash);
  });

  it('turns a node that stopped into UNAVAILABLE', async () => {
    const doomed = await startAnvil({ chainId: secondChainId });
    const orphan = await createEvmAdapter({ chain: eth2, assets: [asset('ETH2', 'eth2')], rpcUrl: doomed.rpcUrl });
    await doomed.stop();
    expect((await rejection(orphan.head())).code).toBe('UNAVAILABLE');
    await orphan.close();
  });
});
