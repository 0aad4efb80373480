import { createServer } from 'node:net';
import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { isWalletError } from '@wallet/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { type EvmAdapterOptions, createEvmAdapter } from './EvmAdapter.js';
import { type FakeAnswer, type FakeCall, type FakeNode, startFakeNode } from './FakeNode.js';

// The adapter against a scripted node: configuration checks and malformed answers, which a real node never gives.
// Behaviour on a real chain is in EvmAdapter.int.test.ts.

const chain: ChainSpec = { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: 31337, nativeAsset: 'ETH' };
const eth: AssetSpec = { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 3, minWithdrawal: 1n, withdrawalFee: 1n };
const usdt: AssetSpec = { ...eth, id: 'USDT', decimals: 6, contract: '0xdAC17F958D2ee523a2206206994597C13D831ec7' };

const h = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`;
const watched = '0x00000000000000000000000000000000000000aa';
const block = { number: '0x5', hash: h(5), parentHash: h(4), timestamp: '0x64', transactions: [h(0x100)] };
const receipt = {
  transactionHash: h(0x100),
  transactionIndex: '0x0',
  blockHash: h(5),
  blockNumber: '0x5',
  status: '0x1',
  to: watched,
  logs: [],
};
const transaction = { hash: h(0x100), blockHash: h(5), transactionIndex: '0x0', from: `0x${'bb'.repeat(20)}`, to: watched, value: '0x10' };

/** Answers of a healthy node holding `block`; `override` replaces any of them. */
function scripted(override: Record<string, unknown> = {}): (call: FakeCall) => FakeAnswer {
  const answers: Record<string, unknown> = {
    eth_chainId: '0x7a69',
    eth_getBlockByNumber: block,
    eth_getBlockReceipts: [receipt],
    eth_getTransactionByBlockHashAndIndex: transaction,
    eth_feeHistory: { baseFeePerGas: ['0x3b9aca00', '0x3b9aca01'], reward: [['0x1']], oldestBlock: '0x5', gasUsedRatio: [0] },
    eth_maxPriorityFeePerGas: '0x2',
    ...override,
  };
  return (call) => {
    const result = answers[call.method];
    return result === undefined ? { error: { code: -32601, message: 'method not found' } } : { result };
  };
}

let node: FakeNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

async function adapterFor(override: Record<string, unknown> = {}, options: Partial<EvmAdapterOptions> = {}) {
  node = await startFakeNode({ answer: scripted(override) });
  return createEvmAdapter({ chain, assets: [eth, usdt], rpcUrl: node.url, ...options });
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

describe('createEvmAdapter configuration', () => {
  const rpcUrl = 'http://127.0.0.1:1';
  it.each([
    ['a UTXO chain', { chain: { ...chain, kind: 'utxo', family: 'btc' } satisfies ChainSpec }],
    ['no evmChainId', { chain: { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', nativeAsset: 'ETH' } satisfies ChainSpec }],
    ['an asset of another chain', { assets: [eth, { ...usdt, chain: 'bsc' }] }],
    ['no native asset', { assets: [usdt] }],
    ['a non-native asset without contract', { assets: [eth, { ...eth, id: 'WETH' }] }],
    ['two assets with one contract (any case)', { assets: [eth, usdt, { ...usdt, id: 'USDX', contract: usdt.contract!.toLowerCase() }] }],
    ['a non-http URL', { rpcUrl: 'ws://127.0.0.1:8545' }],
    ['a batch size of 0', { maxBatchSize: 0 }],
  ])('refuses %s with CONFIG_INVALID, before any network call', async (_name, override) => {
    expect((await rejection(createEvmAdapter({ chain, assets: [eth, usdt], rpcUrl, ...override }))).code).toBe('CONFIG_INVALID');
  });

  it('refuses a node that serves another chain id', async () => {
    const error = await rejection(adapterFor({ eth_chainId: '0x1' }));
    expect(error).toEqual({ code: 'CONFIG_INVALID', details: { chain: 'eth', configured: 31337, node: 1 } });
  });

  it('fails with UNAVAILABLE when the node is unreachable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    expect((await rejection(createEvmAdapter({ chain, assets: [eth], rpcUrl: `http://127.0.0.1:${port}` }))).code).toBe('UNAVAILABLE');
  });
});

describe('EvmAdapter against malformed node answers', () => {
  it('reads a healthy scripted block (the baseline the cases below break)', async () => {
    const adapter = await adapterFor();
    const scanned = await adapter.scanBlock(5, (a) => a === watched);
    expect(scanned?.transfers).toEqual([
      {
        chain: 'eth',
        asset: 'ETH',
        txid: h(0x100),
        outputIndex: -1,
        to: watched,
        from: transaction.from,
        amount: 16n,
        blockNumber: 5,
        blockHash: h(5),
      },
    ]);
    expect(await adapter.feeEstimate()).toEqual({
      kind: 'eip1559',
      baseFeePerGas: 1_000_000_001n,
      maxPriorityFeePerGas: 2n,
      maxFeePerGas: 2_000_000_004n,
    });
    await adapter.close();
  });

  it.each([
    ['eth_chainId', 'not hex', { eth_chainId: 'seven' }],
    ['eth_chainId', 'a number', { eth_chainId: 31337 }],
  ])('%s answering %s at start: INTERNAL', async (method, _what, override) => {
    expect(await rejection(adapterFor(override))).toMatchObject({ code: 'INTERNAL', details: { method } });
  });

  it.each([
    ['eth_getBlockByNumber', 'a short hash', { eth_getBlockByNumber: { ...block, hash: '0x1234' } }],
    ['eth_getBlockByNumber', 'a negative-looking number', { eth_getBlockByNumber: { ...block, number: '-0x5' } }],
    ['eth_getBlockByNumber', 'transactions that are not hashes', { eth_getBlockByNumber: { ...block, transactions: [{}] } }],
    ['eth_getBlockByNumber', 'another block than asked', { eth_getBlockByNumber: { ...block, number: '0x6' } }],
    ['eth_getBlockReceipts', 'an object instead of an array', { eth_getBlockReceipts: { 0: receipt } }],
    ['eth_getBlockReceipts', 'a 19-byte address', { eth_getBlockReceipts: [{ ...receipt, to: '0x' + 'aa'.repeat(19) }] }],
    ['eth_getBlockReceipts', 'a status of 2', { eth_getBlockReceipts: [{ ...receipt, status: '0x2' }] }],
    [
      'eth_getBlockReceipts',
      'a log with 5 topics',
      {
        eth_getBlockReceipts: [
          { ...receipt, logs: [{ address: watched, topics: [h(1), h(1), h(1), h(1), h(1)], data: '0x', logIndex: '0x0' }] },
        ],
      },
    ],
    ['eth_getBlockReceipts', 'receipts of other transactions', { eth_getBlockReceipts: [{ ...receipt, transactionHash: h(0x999) }] }],
    [
      'eth_getTransactionByBlockHashAndIndex',
      'a value that is not a quantity',
      { eth_getTransactionByBlockHashAndIndex: { ...transaction, value: '0x' } },
    ],
    [
      'eth_getTransactionByBlockHashAndIndex',
      'a transaction that is not the receipt’s',
      { eth_getTransactionByBlockHashAndIndex: { ...transaction, hash: h(0x998) } },
    ],
  ])('scanBlock with %s answering %s: INTERNAL', async (method, _what, override) => {
    const adapter = await adapterFor(override);
    expect(await rejection(adapter.scanBlock(5, (a) => a === watched))).toMatchObject({ code: 'INTERNAL', details: { method } });
    await adapter.close();
  });

  it('re-reads the receipts by block hash when the block changed between the two calls of the batch (reorg)', async () => {
    const stale = { ...receipt, transactionHash: h(0x777), blockHash: h(0x555) };
    node = await startFakeNode({
      answer: (call) =>
        call.method === 'eth_getBlockReceipts' ? { result: call.params[0] === h(5) ? [receipt] : [stale] } : scripted()(call),
    });
    const adapter = await createEvmAdapter({ chain, assets: [eth], rpcUrl: node.url });
    const scanned = await adapter.scanBlock(5, (a) => a === watched);
    expect(scanned?.transfers.map((t) => t.txid)).toEqual([h(0x100)]);
    expect(node.calls.filter((c) => c.method === 'eth_getBlockReceipts').map((c) => c.params[0])).toEqual(['0x5', h(5)]);
    await adapter.close();
  });

  it('fails with UNAVAILABLE (retry) when the block it read is gone by the time its receipts are asked by hash', async () => {
    node = await startFakeNode({
      answer: (call) => (call.method === 'eth_getBlockReceipts' ? { result: call.params[0] === h(5) ? null : [] } : scripted()(call)),
    });
    const adapter = await createEvmAdapter({ chain, assets: [eth], rpcUrl: node.url });
    expect(await rejection(adapter.scanBlock(5, () => true))).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'REORG' } });
    await adapter.close();
  });

  it('head, blockRef, feeEstimate and broadcast with malformed answers: INTERNAL naming the method', async () => {
    const adapter = await adapterFor({
      eth_getBlockByNumber: { ...block, parentHash: null },
      eth_feeHistory: { baseFeePerGas: [] },
      eth_sendRawTransaction: h(1),
    });
    expect(await rejection(adapter.head())).toMatchObject({ code: 'INTERNAL', details: { method: 'eth_getBlockByNumber' } });
    expect(await rejection(adapter.blockRef(5))).toMatchObject({ code: 'INTERNAL', details: { method: 'eth_getBlockByNumber' } });
    expect(await rejection(adapter.feeEstimate())).toMatchObject({ code: 'INTERNAL', details: { method: 'eth_feeHistory' } });
    // The node answers a hash that is not keccak256 of the bytes sent.
    expect(await rejection(adapter.broadcast('0x02c0'))).toMatchObject({ code: 'INTERNAL', details: { method: 'eth_sendRawTransaction' } });
    await adapter.close();
  });

  it('refuses bad arguments with VALIDATION_FAILED, without asking the node', async () => {
    const adapter = await adapterFor();
    const before = node!.calls.length;
    expect((await rejection(adapter.blockRef(-1))).code).toBe('VALIDATION_FAILED');
    expect((await rejection(adapter.scanBlock(1.5, () => true))).code).toBe('VALIDATION_FAILED');
    expect((await rejection(adapter.broadcast('02f8'))).code).toBe('VALIDATION_FAILED');
    expect((await rejection(adapter.broadcast('0x123'))).code).toBe('VALIDATION_FAILED');
    expect(node!.calls.length).toBe(before);
    await adapter.close();
  });

  it('takes the median feeHistory tip when the node has no eth_maxPriorityFeePerGas', async () => {
    const adapter = await adapterFor({
      eth_maxPriorityFeePerGas: undefined,
      eth_feeHistory: { baseFeePerGas: ['0x10', '0x20'], reward: [['0x5'], ['0x1'], ['0x9']] },
    });
    expect(await adapter.feeEstimate()).toEqual({ kind: 'eip1559', baseFeePerGas: 32n, maxPriorityFeePerGas: 5n, maxFeePerGas: 69n });
    await adapter.close();
  });
});
