import { createServer } from 'node:net';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { isWalletError } from '@wallet/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { type EvmAdapter, type EvmAdapterOptions, createEvmAdapter } from './EvmAdapter.js';
import { type FakeAnswer, type FakeCall, type FakeNode, startFakeNode } from '@wallet/testkit';

// The adapter against a scripted node: configuration checks and malformed answers, which a real node never gives.
// Behaviour on a real chain is in EvmAdapter.int.test.ts.

const chain: ChainSpec = { id: 'eth', kind: 'evm', network: 'regtest', family: 'eth', evmChainId: 31337, nativeAsset: 'ETH' };
const eth: AssetSpec = { id: 'ETH', chain: 'eth', decimals: 18, confirmations: 3, minWithdrawal: 1n, withdrawalFee: 1n };
const usdt: AssetSpec = { ...eth, id: 'USDT', decimals: 6, contract: '0xdAC17F958D2ee523a2206206994597C13D831ec7' };

const h = (n: number): string => `0x${n.toString(16).padStart(64, '0')}`;
const watched = '0x00000000000000000000000000000000000000aa';
const sender = `0x${'bb'.repeat(20)}`;
const block = { number: '0x5', hash: h(5), parentHash: h(4), timestamp: '0x64', transactions: [h(0x100)] };
const receipt = {
  transactionHash: h(0x100),
  transactionIndex: '0x0',
  blockHash: h(5),
  blockNumber: '0x5',
  status: '0x1',
  from: sender,
  to: watched,
  gasUsed: '0x5208',
  effectiveGasPrice: '0x3b9aca07',
  logs: [],
};
const transaction = { hash: h(0x100), blockHash: h(5), transactionIndex: '0x0', from: sender, to: watched, value: '0x10' };

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

/** An adapter whose node answers `method` with `answer` (an error, typically) and everything else as healthy. */
async function adapterAnswering(method: string, answer: FakeAnswer) {
  node = await startFakeNode({ answer: (call) => (call.method === method ? answer : scripted()(call)) });
  return createEvmAdapter({ chain, assets: [eth, usdt], rpcUrl: node.url });
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
    expect(scanned?.outgoing).toEqual([]);
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
    ['eth_getBlockReceipts', 'a receipt without from', { eth_getBlockReceipts: [{ ...receipt, from: undefined }] }],
    ['eth_getBlockReceipts', 'a receipt without gasUsed', { eth_getBlockReceipts: [{ ...receipt, gasUsed: undefined }] }],
    ['eth_getBlockReceipts', 'a decimal effectiveGasPrice', { eth_getBlockReceipts: [{ ...receipt, effectiveGasPrice: '1000000007' }] }],
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
    [
      'eth_getTransactionByBlockHashAndIndex',
      'another sender than the receipt’s',
      { eth_getTransactionByBlockHashAndIndex: { ...transaction, from: `0x${'cc'.repeat(20)}` } },
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

describe('EvmAdapter outgoing transactions in scanBlock', () => {
  const hot = `0x${'dd'.repeat(20)}`;
  // Three transactions: a successful one and a failed one from the hot wallet (its address in upper case, as a node
  // may send it), and a deposit from someone else.
  const txs = [h(0x200), h(0x201), h(0x202)];
  const receipts = [
    { ...receipt, transactionHash: txs[0], transactionIndex: '0x0', from: hot.toUpperCase().replace('0X', '0x'), to: null },
    { ...receipt, transactionHash: txs[1], transactionIndex: '0x1', from: hot, to: `0x${'ee'.repeat(20)}`, status: '0x0' },
    { ...receipt, transactionHash: txs[2], transactionIndex: '0x2' },
  ];
  const override = {
    eth_getBlockByNumber: { ...block, transactions: txs },
    // In any order: the adapter sorts by transaction index.
    eth_getBlockReceipts: [receipts[2], receipts[0], receipts[1]],
    eth_getTransactionByBlockHashAndIndex: { ...transaction, hash: txs[2], transactionIndex: '0x2' },
  };
  const outgoing = (txid: string | undefined, txIndex: number, to: string | null, status: 'success' | 'failed') => ({
    txid,
    from: hot,
    to,
    status,
    gasUsed: 21_000n,
    effectiveGasPrice: 1_000_000_007n,
    fee: 21_000n * 1_000_000_007n,
    blockNumber: 5,
    blockHash: h(5),
    txIndex,
    tokenTransfers: [],
  });

  it('reports every receipt from an outgoing address, failed ones too, in chain order, asking with lower-case senders', async () => {
    const adapter = await adapterFor(override);
    const asked: string[] = [];
    const scanned = await adapter.scanBlock(
      5,
      (a) => a === watched,
      (from) => {
        asked.push(from);
        return from === hot;
      },
    );
    expect(scanned?.outgoing).toEqual([outgoing(txs[0], 0, null, 'success'), outgoing(txs[1], 1, `0x${'ee'.repeat(20)}`, 'failed')]);
    expect(asked).toEqual([hot, hot, sender]);
    // The deposit in the same block is reported as before.
    expect(scanned?.transfers).toMatchObject([{ txid: txs[2], to: watched, from: sender, amount: 16n }]);
    await adapter.close();
  });

  it("reports the listed token's Transfer logs an outgoing transaction emitted, and only those", async () => {
    const topic = (a: string) => `0x${'0'.repeat(24)}${a.slice(2)}`;
    const to = `0x${'cc'.repeat(20)}`;
    const transferLog = (address: string, logIndex: number, amount: bigint) => ({
      address,
      topics: ['0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef', topic(hot), topic(to)],
      data: `0x${amount.toString(16).padStart(64, '0')}`,
      logIndex: `0x${logIndex.toString(16)}`,
      blockHash: h(5),
      blockNumber: '0x5',
      transactionHash: txs[0],
      transactionIndex: '0x0',
      removed: false,
    });
    const token = usdt.contract!.toLowerCase();
    const withLogs = {
      ...receipts[0],
      to: token,
      logs: [
        transferLog(token, 0, 1_000_000n),
        transferLog(`0x${'99'.repeat(20)}`, 1, 5n), // a look-alike contract: not the token
        { ...transferLog(token, 2, 7n), topics: [transferLog(token, 2, 7n).topics[0]] }, // not a well-formed Transfer
      ],
    };
    const adapter = await adapterFor({ ...override, eth_getBlockReceipts: [receipts[2], withLogs, receipts[1]] });
    const scanned = await adapter.scanBlock(
      5,
      (a) => a === watched,
      (from) => from === hot,
    );
    expect(scanned?.outgoing[0]?.tokenTransfers).toEqual([
      { asset: 'USDT', contract: token, from: hot, to, amount: 1_000_000n, logIndex: 0 },
    ]);
    expect(scanned?.outgoing[1]?.tokenTransfers).toEqual([]);
    await adapter.close();
  });

  it('reports none without isOutgoing, and makes no further call for outgoing transactions', async () => {
    const adapter = await adapterFor(override);
    const without = await adapter.scanBlock(5, (a) => a === watched);
    const callsWithout = node!.calls.length;
    const withOutgoing = await adapter.scanBlock(
      5,
      (a) => a === watched,
      (from) => from === hot,
    );
    expect(without?.outgoing).toEqual([]);
    expect(withOutgoing?.outgoing).toHaveLength(2);
    expect(withOutgoing?.transfers).toEqual(without?.transfers);
    expect(node!.calls.length - callsWithout).toBe(callsWithout - 1); // the same calls again, bar eth_chainId
    await adapter.close();
  });
});

describe('EvmAdapter broadcast refusals', () => {
  const rawTx = '0x02c0';
  const txid = `0x${bytesToHex(keccak_256(hexToBytes('02c0')))}`;

  it.each([
    // anvil 1.7.1's words (checked in EvmAdapter.withdrawal.int.test.ts), then other nodes'.
    ['nonce too low', 'CONFLICT', 'nonce_used'],
    ['replacement transaction underpriced', 'CONFLICT', 'underpriced'],
    ['Insufficient funds for gas * price + value', 'VALIDATION_FAILED', 'insufficient_funds'],
    ['invalid chain id for signer', 'VALIDATION_FAILED', 'rejected'],
    ['max fee per gas less than block base fee', 'VALIDATION_FAILED', 'rejected'],
    ['intrinsic gas too low', 'VALIDATION_FAILED', 'rejected'],
    ['nonce too low: next nonce 6, tx nonce 5', 'CONFLICT', 'nonce_used'],
    ['nonce has already been used', 'CONFLICT', 'nonce_used'],
    ['NONCE_TOO_LOW', 'CONFLICT', 'nonce_used'],
    ['OldNonce', 'CONFLICT', 'nonce_used'],
    ['transaction underpriced: tip needed 1, tip permitted 0', 'CONFLICT', 'underpriced'],
    ['insufficient funds for gas * price + value: balance 0, tx cost 21000, overshot 21000', 'VALIDATION_FAILED', 'insufficient_funds'],
  ])('"%s" -> %s (%s), with the txid and the node message', async (message, code, reason) => {
    const adapter = await adapterAnswering('eth_sendRawTransaction', { error: { code: -32003, message } });
    expect(await rejection(adapter.broadcast(rawTx))).toEqual({
      code,
      details: { method: 'eth_sendRawTransaction', txid, reason, rpcCode: -32003, rpcMessage: message },
    });
    await adapter.close();
  });

  it.each(['transaction already imported', 'already known', 'known transaction: 0x12'])(
    '"%s": the node has it already, so the same txid',
    async (message) => {
      const adapter = await adapterAnswering('eth_sendRawTransaction', { error: { code: -32003, message } });
      expect(await adapter.broadcast(rawTx)).toBe(txid);
      await adapter.close();
    },
  );
});

describe('EvmAdapter withdrawal reads', () => {
  const owner = `0x${'Ab'.repeat(20)}`;
  const contract = `0x${'cD'.repeat(20)}`;

  it('nonceOf asks eth_getTransactionCount with the lower-case address and the block tag', async () => {
    const adapter = await adapterFor({ eth_getTransactionCount: '0x2a' });
    expect(await adapter.nonceOf(owner, 'pending')).toBe(42);
    expect(await adapter.nonceOf(owner, 'latest')).toBe(42);
    expect(node!.calls.filter((c) => c.method === 'eth_getTransactionCount').map((c) => c.params)).toEqual([
      [owner.toLowerCase(), 'pending'],
      [owner.toLowerCase(), 'latest'],
    ]);
    await adapter.close();
  });

  it('estimateGas sends from, to, data and value as hex, and reads a quantity', async () => {
    const adapter = await adapterFor({ eth_estimateGas: '0x5208' });
    expect(await adapter.estimateGas({ from: owner, to: contract, data: '0xA9059CBB', value: 255n })).toBe(21_000n);
    expect(await adapter.estimateGas({ from: owner, to: contract })).toBe(21_000n);
    expect(node!.calls.filter((c) => c.method === 'eth_estimateGas').map((c) => c.params)).toEqual([
      [{ from: owner.toLowerCase(), to: contract.toLowerCase(), data: '0xa9059cbb', value: '0xff' }],
      [{ from: owner.toLowerCase(), to: contract.toLowerCase() }],
    ]);
    await adapter.close();
  });

  it.each([
    [
      'code 3 with revert data',
      { code: 3, message: 'execution reverted: custom error 0x8ac5ff0b', data: '0x8ac5ff0b' },
      'execution_reverted',
    ],
    ['geth -32000 without data', { code: -32000, message: 'execution reverted' }, 'execution_reverted'],
    ['out of gas at the cap', { code: -32000, message: 'gas required exceeds allowance (30000000)' }, 'execution_reverted'],
    ['a value beyond the balance', { code: -32000, message: 'insufficient funds for transfer' }, 'insufficient_funds'],
  ])('estimateGas refused with %s: VALIDATION_FAILED %s', async (_case, error, reason) => {
    const adapter = await adapterAnswering('eth_estimateGas', { error });
    const refused = await rejection(adapter.estimateGas({ from: owner, to: contract }));
    expect(refused).toEqual({
      code: 'VALIDATION_FAILED',
      details: {
        method: 'eth_estimateGas',
        reason,
        rpcCode: error.code,
        rpcMessage: error.message,
        ...('data' in error ? { revertData: error.data } : {}),
      },
    });
    await adapter.close();
  });

  it('estimateGas keeps UNAVAILABLE for a node error that is not about the call or an unreachable node, and TIMEOUT', async () => {
    const limited = await adapterAnswering('eth_estimateGas', { error: { code: -32005, message: 'limit exceeded' } });
    expect(await rejection(limited.estimateGas({ from: owner, to: contract }))).toMatchObject({
      code: 'UNAVAILABLE',
      details: { method: 'eth_estimateGas' },
    });
    await limited.close();
    await node?.close();
    node = await startFakeNode({
      answer: (call) =>
        call.method === 'eth_estimateGas'
          ? new Promise((resolve) => setTimeout(() => resolve({ result: '0x1' }), 1_000))
          : scripted()(call),
    });
    const slow = await createEvmAdapter({ chain, assets: [eth], rpcUrl: node.url, timeoutMs: 200 });
    expect((await rejection(slow.estimateGas({ from: owner, to: contract }))).code).toBe('TIMEOUT');
    await slow.close();
    const orphan = await adapterFor();
    await node?.close();
    expect((await rejection(orphan.estimateGas({ from: owner, to: contract }))).code).toBe('UNAVAILABLE');
    await orphan.close();
  });

  it('receipt() is null for an unknown or pending transaction, and the outcome of a mined one', async () => {
    const failed = { ...receipt, status: '0x0', to: null, gasUsed: '0x10000', effectiveGasPrice: '0x2' };
    let answer: unknown = null;
    node = await startFakeNode({ answer: (call) => (call.method === 'eth_getTransactionReceipt' ? { result: answer } : scripted()(call)) });
    const adapter = await createEvmAdapter({ chain, assets: [eth], rpcUrl: node.url });
    expect(await adapter.receipt(h(0x100))).toBeNull();
    answer = failed;
    expect(await adapter.receipt(h(0x100).toUpperCase().replace('0X', '0x'))).toEqual({
      txid: h(0x100),
      from: sender,
      to: null,
      status: 'failed',
      gasUsed: 65_536n,
      effectiveGasPrice: 2n,
      fee: 131_072n,
      blockNumber: 5,
      blockHash: h(5),
      txIndex: 0,
      tokenTransfers: [],
    });
    await adapter.close();
  });

  it('balanceOf reads eth_getBalance at the latest block', async () => {
    const adapter = await adapterFor({ eth_getBalance: '0xde0b6b3a7640000' });
    expect(await adapter.balanceOf(owner)).toBe(10n ** 18n);
    expect(node!.calls.find((c) => c.method === 'eth_getBalance')?.params).toEqual([owner.toLowerCase(), 'latest']);
    await adapter.close();
  });

  it('balanceOf and tokenBalanceOf at a block number ask for that block; a bad number is refused before any call', async () => {
    const adapter = await adapterFor({ eth_getBalance: '0x7', eth_call: `0x${'00'.repeat(31)}09` });
    expect(await adapter.balanceOf(owner, 300)).toBe(7n);
    expect(node!.calls.find((c) => c.method === 'eth_getBalance')?.params).toEqual([owner.toLowerCase(), '0x12c']);
    expect(await adapter.tokenBalanceOf(contract, owner, 0)).toBe(9n);
    expect(node!.calls.find((c) => c.method === 'eth_call')?.params[1]).toBe('0x0');
    const calls = node!.calls.length;
    for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      expect(await rejection(adapter.balanceOf(owner, bad))).toEqual({ code: 'VALIDATION_FAILED', details: { field: 'block' } });
      expect(await rejection(adapter.tokenBalanceOf(contract, owner, bad))).toEqual({
        code: 'VALIDATION_FAILED',
        details: { field: 'block' },
      });
    }
    expect(node!.calls.length).toBe(calls);
    await adapter.close();
  });

  it('tokenBalanceOf calls balanceOf(address) and reads one 32-byte word', async () => {
    const adapter = await adapterFor({ eth_call: `0x${(10n ** 6n).toString(16).padStart(64, '0')}` });
    expect(await adapter.tokenBalanceOf(contract, owner)).toBe(10n ** 6n);
    expect(node!.calls.find((c) => c.method === 'eth_call')?.params).toEqual([
      { to: contract.toLowerCase(), data: `0x70a08231${'00'.repeat(12)}${'ab'.repeat(20)}` },
      'latest',
    ]);
    await adapter.close();
  });

  it.each([
    ['no code at the address (0x)', '0x', 0],
    ['two words', `0x${'00'.repeat(64)}`, 64],
    ['31 bytes', `0x${'00'.repeat(31)}`, 31],
  ])('tokenBalanceOf answered with %s: VALIDATION_FAILED not_a_token', async (_case, answer, returnedBytes) => {
    const adapter = await adapterFor({ eth_call: answer });
    expect(await rejection(adapter.tokenBalanceOf(contract, owner))).toEqual({
      code: 'VALIDATION_FAILED',
      details: { method: 'eth_call', reason: 'not_a_token', contract: contract.toLowerCase(), returnedBytes },
    });
    await adapter.close();
  });

  it('tokenBalanceOf of a reverting call: VALIDATION_FAILED execution_reverted', async () => {
    const adapter = await adapterAnswering('eth_call', { error: { code: 3, message: 'execution reverted', data: '0x' } });
    expect(await rejection(adapter.tokenBalanceOf(contract, owner))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { reason: 'execution_reverted', revertData: '0x' },
    });
    await adapter.close();
  });

  it('isKnownTransaction: false for null, true for a transaction with that hash', async () => {
    let answer: unknown = null;
    node = await startFakeNode({ answer: (call) => (call.method === 'eth_getTransactionByHash' ? { result: answer } : scripted()(call)) });
    const adapter = await createEvmAdapter({ chain, assets: [eth], rpcUrl: node.url });
    expect(await adapter.isKnownTransaction(h(0x100))).toBe(false);
    answer = { hash: h(0x100), blockHash: null, from: sender, nonce: '0x0' };
    expect(await adapter.isKnownTransaction(h(0x100))).toBe(true);
    await adapter.close();
  });

  it.each([
    [
      'eth_getTransactionCount',
      'a bigint-sized nonce',
      { eth_getTransactionCount: `0x${'f'.repeat(20)}` },
      (a: EvmAdapter) => a.nonceOf(owner, 'latest'),
    ],
    ['eth_getTransactionCount', 'a number', { eth_getTransactionCount: 5 }, (a: EvmAdapter) => a.nonceOf(owner, 'pending')],
    ['eth_estimateGas', 'an empty quantity', { eth_estimateGas: '0x' }, (a: EvmAdapter) => a.estimateGas({ from: owner, to: contract })],
    ['eth_estimateGas', 'null', { eth_estimateGas: null }, (a: EvmAdapter) => a.estimateGas({ from: owner, to: contract })],
    [
      'eth_getTransactionReceipt',
      'a receipt of another transaction',
      { eth_getTransactionReceipt: receipt },
      (a: EvmAdapter) => a.receipt(h(1)),
    ],
    [
      'eth_getTransactionReceipt',
      'a pending receipt (no block hash)',
      { eth_getTransactionReceipt: { ...receipt, blockHash: null } },
      (a: EvmAdapter) => a.receipt(h(0x100)),
    ],
    [
      'eth_getTransactionReceipt',
      'a negative gasUsed',
      { eth_getTransactionReceipt: { ...receipt, gasUsed: '-0x1' } },
      (a: EvmAdapter) => a.receipt(h(0x100)),
    ],
    ['eth_getBalance', 'a decimal string', { eth_getBalance: '1000' }, (a: EvmAdapter) => a.balanceOf(owner)],
    ['eth_call', 'bytes that are not hex', { eth_call: '0xzz' }, (a: EvmAdapter) => a.tokenBalanceOf(contract, owner)],
    [
      'eth_getTransactionByHash',
      'another transaction',
      { eth_getTransactionByHash: { hash: h(2) } },
      (a: EvmAdapter) => a.isKnownTransaction(h(1)),
    ],
    ['eth_getTransactionByHash', 'a string', { eth_getTransactionByHash: h(1) }, (a: EvmAdapter) => a.isKnownTransaction(h(1))],
  ])('%s answering %s: INTERNAL', async (method, _what, override, read) => {
    const adapter = await adapterFor(override);
    expect(await rejection(read(adapter))).toMatchObject({ code: 'INTERNAL', details: { method } });
    await adapter.close();
  });

  it('refuses bad arguments with VALIDATION_FAILED, without asking the node', async () => {
    const adapter = await adapterFor();
    const before = node!.calls.length;
    const bad: [string, Promise<unknown>][] = [
      ['address', adapter.nonceOf('0x1234', 'latest')],
      ['block', adapter.nonceOf(owner, 'earliest' as 'latest')],
      ['from', adapter.estimateGas({ from: 'me', to: contract })],
      ['to', adapter.estimateGas({ from: owner, to: `${contract}00` })],
      ['data', adapter.estimateGas({ from: owner, to: contract, data: '0x123' })],
      ['value', adapter.estimateGas({ from: owner, to: contract, value: -1n })],
      ['value', adapter.estimateGas({ from: owner, to: contract, value: 2n ** 256n })],
      ['value', adapter.estimateGas({ from: owner, to: contract, value: 1 as unknown as bigint })],
      ['txid', adapter.receipt('0x1234')],
      ['address', adapter.balanceOf(owner.slice(2))],
      ['contract', adapter.tokenBalanceOf('0x', owner)],
      ['address', adapter.tokenBalanceOf(contract, '')],
      ['txid', adapter.isKnownTransaction(h(1).slice(0, 65))],
    ];
    for (const [field, promise] of bad) expect(await rejection(promise)).toEqual({ code: 'VALIDATION_FAILED', details: { field } });
    expect(node!.calls.length).toBe(before);
    await adapter.close();
  });
});
