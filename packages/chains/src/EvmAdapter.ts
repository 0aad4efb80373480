import { EvmAddressIndex } from './EvmAddressIndex.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { WalletError } from '@wallet/errors';
import type {
  AddressMatcher,
  BlockRef,
  ChainAdapter,
  Eip1559FeeEstimate,
  ObservedTransfer,
  OutgoingTokenTransfer,
  OutgoingTx,
  ScannedBlock,
} from './ChainAdapter.js';
import { decodeTransferLog } from './decodeTransferLog.js';
import {
  HexData,
  Quantity,
  RpcBlock,
  RpcBlockReceipts,
  RpcFeeHistory,
  RpcMaybeReceipt,
  type RpcReceipt,
  RpcTransaction,
  RpcTransactionByHash,
  RpcTxHash,
  SafeInteger,
} from './evmRpcSchemas.js';
import { JsonRpcClient, type RpcCall, type RpcFailure, type RpcOutcome } from './JsonRpcClient.js';
import { type HeadWatch, watchNewHeads } from './watchNewHeads.js';

/** Options of {@link createEvmAdapter}. */
export type EvmAdapterOptions = {
  /** The registry's chain: kind `evm`, with `evmChainId`. */
  chain: ChainSpec;
  /** The chain's assets from the registry: its native asset, and tokens (those with a `contract`). */
  assets: readonly AssetSpec[];
  /** The node's JSON-RPC endpoint (http or https; user:password in it becomes basic authentication). */
  rpcUrl: string;
  /** Longest wait for an answer from the node. @default 10_000 */
  timeoutMs?: number;
  /** Keep-alive connections to the node. @default 4 */
  connections?: number;
  /** Most calls in one JSON-RPC batch (nodes and providers cap batches). @default 100 */
  maxBatchSize?: number;
  /** WebSocket endpoint for new-head subscriptions; without it the scanner polls only. */
  wsUrl?: string;
  /** Told about subscription connection problems. */
  onWatchError?: (error: Error) => void;
};

/** A call for {@link EvmAdapter.estimateGas}: addresses and data as 0x hex, any case. */
export type EvmCall = {
  readonly from: string;
  /** The account called; null: a contract creation (`data` its init code). */
  readonly to: string | null;
  /** Calldata. @default none */
  readonly data?: string;
  /** Wei sent along. @default 0 */
  readonly value?: bigint;
};

/**
 * An EVM chain's adapter: fees are EIP-1559's, and the withdrawal sender's reads (nonces, gas, balances, receipts).
 * Arguments are checked before any call (VALIDATION_FAILED); every answer is validated (INTERNAL when malformed).
 */
export interface EvmAdapter extends ChainAdapter<Eip1559FeeEstimate> {
  /** The EVM chain id the node serves (checked against the configuration at start). */
  readonly evmChainId: number;
  /** New-head notifications over `wsUrl`; a no-op without one. @returns a function that stops watching */
  watchHeads(onHead: (number: number) => void): () => void;

  /**
   * The number of transactions `address` has sent (`eth_getTransactionCount`): its next nonce.
   * @param block `latest`: mined ones only; `pending`: also those in the node's pool (with no gap)
   */
  nonceOf(address: string, block: 'latest' | 'pending'): Promise<number>;

  /**
   * The gas `call` would use now (`eth_estimateGas` on the latest state).
   * @throws WalletError VALIDATION_FAILED with `details.reason` `execution_reverted` (and `details.revertData` when
   * the node gives it) when the call would fail, `insufficient_funds` when the sender cannot pay its value;
   * UNAVAILABLE / TIMEOUT as any call
   */
  estimateGas(call: EvmCall): Promise<bigint>;

  /**
   * The outcome of a mined transaction (`eth_getTransactionReceipt`), in the form `scanBlock` reports it.
   * @returns null while the transaction is pending, or when the node does not know it
   */
  receipt(txid: string): Promise<OutgoingTx | null>;

  /**
   * The native balance of `address` in wei.
   * @param block a block number (reconciliation reads at the block the scanner last recorded) @default the latest
   */
  balanceOf(address: string, block?: number): Promise<bigint>;

  /**
   * The ERC20 balance of `address`: `eth_call` of `balanceOf(address)` on `contract`, at `block` (default: the latest).
   * @throws WalletError VALIDATION_FAILED with `details.reason` `not_a_token` when the call answers anything but one
   * 32-byte word (no contract at that address, or not an ERC20), `execution_reverted` when it reverts
   */
  tokenBalanceOf(contract: string, address: string, block?: number): Promise<bigint>;

  /** Whether the node knows the transaction (`eth_getTransactionByHash`): in its pool, or mined. */
  isKnownTransaction(txid: string): Promise<boolean>;

  /** Whether `address` has code (a contract) at the latest block (`eth_getCode`). */
  hasCode(address: string): Promise<boolean>;
}

/**
 * Connects to an EVM node and checks that it serves the configured chain.
 *
 * Deposits found: native value transfers (a successful transaction whose `to` is watched) and ERC20 Transfer logs of
 * the configured token contracts only. Value moved by contract-internal calls is not seen (no traces). Outgoing
 * transactions: every receipt whose `from` the caller's `isOutgoing` accepts.
 * @param options see {@link EvmAdapterOptions}
 * @returns the adapter; {@link EvmAdapter.close} it when done
 * @throws WalletError CONFIG_INVALID (bad options, or the node's `eth_chainId` differs from `chain.evmChainId`),
 * UNAVAILABLE / TIMEOUT (node unreachable), INTERNAL (malformed `eth_chainId` answer)
 */
export async function createEvmAdapter(options: EvmAdapterOptions): Promise<EvmAdapter> {
  const config = resolveConfig(options);
  const client = new JsonRpcClient({
    url: options.rpcUrl,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
  try {
    const nodeChainId = await client.call('eth_chainId', [], SafeInteger);
    if (nodeChainId !== config.evmChainId) {
      throw new WalletError(
        'CONFIG_INVALID',
        `chain ${config.chain}: the node serves EVM chain id ${nodeChainId}, but the configuration says ${config.evmChainId}`,
        { details: { chain: config.chain, configured: config.evmChainId, node: nodeChainId } },
      );
    }
  } catch (error) {
    await client.close();
    throw error;
  }
  const adapter = new EvmChainAdapter(config, client);
  adapter.wsUrl = options.wsUrl;
  adapter.onWatchError = options.onWatchError;
  return adapter;
}

type EvmConfig = {
  chain: string;
  evmChainId: number;
  nativeAsset: string;
  /** Lower-case contract address -> asset id. */
  tokens: ReadonlyMap<string, string>;
  maxBatchSize: number;
};

function resolveConfig(options: EvmAdapterOptions): EvmConfig {
  const { chain, assets } = options;
  const invalid = (message: string): WalletError =>
    new WalletError('CONFIG_INVALID', `chain ${chain.id}: ${message}`, { details: { chain: chain.id } });
  if (chain.kind !== 'evm' || chain.evmChainId === undefined) throw invalid('not an EVM chain with an evmChainId');
  if (!URL.canParse(options.rpcUrl) || !/^https?:$/.test(new URL(options.rpcUrl).protocol)) throw invalid('rpcUrl is not an http(s) URL');
  const maxBatchSize = options.maxBatchSize ?? 100;
  if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) throw invalid('maxBatchSize must be a positive integer');
  const tokens = new Map<string, string>();
  let native = false;
  for (const asset of assets) {
    if (asset.chain !== chain.id) throw invalid(`asset ${asset.id} belongs to chain ${asset.chain}`);
    if (asset.contract === undefined) {
      if (asset.id !== chain.nativeAsset) throw invalid(`asset ${asset.id} is neither the native asset nor a token`);
      native = true;
      continue;
    }
    if (!/^0x[0-9a-fA-F]{40}$/.test(asset.contract)) throw invalid(`asset ${asset.id}: contract is not an address`);
    // Logs carry lower-case addresses after validation; the registry holds EIP-55 ones.
    const contract = asset.contract.toLowerCase();
    const other = tokens.get(contract);
    if (other !== undefined) throw invalid(`assets ${other} and ${asset.id} have the same contract`);
    tokens.set(contract, asset.id);
  }
  if (!native) throw invalid(`native asset ${chain.nativeAsset} is not among the assets`);
  return { chain: chain.id, evmChainId: chain.evmChainId, nativeAsset: chain.nativeAsset, tokens, maxBatchSize };
}

/**
 * Fetch strategy of scanBlock, chosen by measurement (packages/chains/bench/fetch.bench.ts, README):
 *
 * 1. One batch: `eth_getBlockByNumber(n, false)` (header and transaction hashes) + `eth_getBlockReceipts(n)`.
 *    Receipts carry everything a deposit needs except a native transfer's value: status, `to`, and the logs, where
 *    ERC20 transfers are; and all an outgoing transaction needs (`from`, status, gas used and its price). Full
 *    transactions (`eth_getBlockByNumber(n, true)`) are not fetched: anvil recovers every sender on each request,
 *    which made that call 6x slower than header + receipts together.
 * 2. Only for receipts whose `to` is watched (rare: deposits among all of a block's transactions), one more batch of
 *    `eth_getTransactionByBlockHashAndIndex` for the value and sender; pinned to the block hash, so it cannot read
 *    another block after a reorg.
 *
 * `eth_getLogs` (filtered by token contract) instead of receipts would move less data, but cannot find native
 * deposits, and an empty answer cannot be checked against the block it should belong to. Receipts can: there is
 * one per transaction hash of the header, and each names the block hash, so a reorg between the two calls of the
 * batch is always detected. Nodes without `eth_getBlockReceipts` get `eth_getTransactionReceipt` per transaction,
 * batched.
 */
class EvmChainAdapter implements EvmAdapter {
  readonly chain: string;
  readonly evmChainId: number;
  private readonly nativeAsset: string;
  private readonly tokens: ReadonlyMap<string, string>;
  private readonly maxBatchSize: number;
  /** Cleared the first time the node says it does not know the method. */
  private blockReceiptsSupported = true;
  private readonly watches = new Set<HeadWatch>();
  readonly tracksOutputs = false;
  wsUrl: string | undefined;
  onWatchError: ((error: Error) => void) | undefined;

  constructor(
    config: EvmConfig,
    private readonly client: JsonRpcClient,
  ) {
    this.chain = config.chain;
    this.evmChainId = config.evmChainId;
    this.nativeAsset = config.nativeAsset;
    this.tokens = config.tokens;
    this.maxBatchSize = config.maxBatchSize;
  }

  async head(): Promise<BlockRef> {
    const block = await this.client.call('eth_getBlockByNumber', ['latest', false], RpcBlock);
    if (block === null) {
      throw new WalletError('INTERNAL', 'eth_getBlockByNumber: node has no latest block', { details: { method: 'eth_getBlockByNumber' } });
    }
    return toBlockRef(block);
  }

  canonicalAddress(address: string): string {
    return address.toLowerCase();
  }

  /** A new, empty index of deposit addresses held as 20-byte keys (a third of a Map of strings' memory). */
  createAddressIndex(): EvmAddressIndex {
    return new EvmAddressIndex();
  }

  async blockRef(number: number): Promise<BlockRef | null> {
    const block = await this.client.call('eth_getBlockByNumber', [quantity(checkBlockNumber(number)), false], RpcBlock);
    if (block === null) return null;
    return toBlockRef(checkIsBlock(block, number));
  }

  async scanBlock(number: number, watched: AddressMatcher, isOutgoing?: (from: string) => boolean): Promise<ScannedBlock | null> {
    const isWatched = typeof watched === 'function' ? watched : (address: string): boolean => watched.get(address) !== undefined;
    const fetched = await this.fetchBlock(checkBlockNumber(number));
    if (fetched === null) return null;
    const { block, receipts } = fetched;

    // Each transfer with the index of its transaction, to return them in chain order.
    const found: { txIndex: number; transfer: ObservedTransfer }[] = [];
    const nativeCandidates: RpcReceipt[] = [];
    // Receipts are in transaction order (receiptsMatch), so these are too.
    const outgoing: OutgoingTx[] = [];
    for (const receipt of receipts) {
      // Failed ones too: they burned their fee and used their nonce.
      if (isOutgoing?.(receipt.from) === true) outgoing.push(toOutgoingTx(receipt, this.tokens));
      // A failed transaction moved no value. It has no logs either (a revert discards them: checked on anvil in
      // EvmAdapter.int.test.ts), but this check does not depend on that.
      if (receipt.status !== 1) continue;
      if (receipt.to !== null && isWatched(receipt.to)) nativeCandidates.push(receipt);
      for (const log of receipt.logs) {
        // Only the configured contract is the token: any other contract can emit a look-alike Transfer.
        const asset = this.tokens.get(log.address);
        if (asset === undefined) continue;
        const transfer = decodeTransferLog(log);
        if (transfer === null || transfer.amount === 0n || !isWatched(transfer.to)) continue;
        found.push({
          txIndex: receipt.transactionIndex,
          transfer: {
            chain: this.chain,
            asset,
            txid: receipt.transactionHash,
            outputIndex: log.logIndex,
            to: transfer.to,
            from: transfer.from,
            amount: transfer.amount,
            blockNumber: block.number,
            blockHash: block.hash,
          },
        });
      }
    }

    const transactions = await this.transactionsOf(block, nativeCandidates);
    for (const [i, tx] of transactions.entries()) {
      const receipt = nativeCandidates[i];
      if (receipt === undefined || tx.value === 0n) continue;
      found.push({
        txIndex: receipt.transactionIndex,
        transfer: {
          chain: this.chain,
          asset: this.nativeAsset,
          txid: receipt.transactionHash,
          outputIndex: -1,
          to: tx.to,
          from: tx.from,
          amount: tx.value,
          blockNumber: block.number,
          blockHash: block.hash,
        },
      });
    }
    found.sort((a, b) => a.txIndex - b.txIndex || a.transfer.outputIndex - b.transfer.outputIndex);
    return { block: toBlockRef(block), transfers: found.map((f) => f.transfer), outgoing, txCount: block.transactions.length };
  }

  async broadcast(rawTx: string): Promise<string> {
    if (!/^0x(?:[0-9a-fA-F]{2})+$/.test(rawTx)) {
      throw new WalletError('VALIDATION_FAILED', 'raw transaction must be 0x-prefixed hex bytes', { details: { field: 'rawTx' } });
    }
    // The hash of a signed transaction is keccak256 of its serialized bytes, for legacy and typed (EIP-2718) ones
    // alike: computed here, it both checks the node's answer and answers a re-broadcast the node rejects as known.
    const txid = `0x${bytesToHex(keccak_256(hexToBytes(rawTx.slice(2))))}`;
    const [outcome] = await this.client.batch([{ method: 'eth_sendRawTransaction', params: [rawTx], schema: RpcTxHash }] as const);
    if (!outcome.ok) {
      if (alreadyKnown.test(outcome.rpcMessage)) return txid;
      // Anything unrecognised (bad signature, wrong chain id, fee under the base fee, gas limit too low) is `rejected`.
      const { code, reason } = broadcastRejections.find((r) => r.pattern.test(outcome.rpcMessage)) ?? rejected;
      throw new WalletError(code, `eth_sendRawTransaction: the node rejected the transaction (${reason})`, {
        details: { method: 'eth_sendRawTransaction', txid, reason, rpcCode: outcome.rpcCode, rpcMessage: outcome.rpcMessage },
      });
    }
    if (outcome.value !== txid) {
      throw new WalletError('INTERNAL', 'eth_sendRawTransaction: node answered another transaction hash', {
        details: { method: 'eth_sendRawTransaction', txid, answered: outcome.value },
      });
    }
    return txid;
  }

  async feeEstimate(): Promise<Eip1559FeeEstimate> {
    const [history, tip] = await this.client.batch([
      // The last 5 blocks' median tips are the fallback for nodes without eth_maxPriorityFeePerGas.
      { method: 'eth_feeHistory', params: ['0x5', 'latest', [50]], schema: RpcFeeHistory },
      { method: 'eth_maxPriorityFeePerGas', params: [], schema: Quantity },
    ] as const);
    const { baseFeePerGas, reward } = unwrap(history);
    // feeHistory answers one base fee per block plus the next block's: the one a new transaction pays.
    const nextBaseFee = baseFeePerGas[baseFeePerGas.length - 1] ?? 0n;
    let priority: bigint;
    if (tip.ok) priority = tip.value;
    else if (isMethodMissing(tip)) priority = median((reward ?? []).flatMap((r) => r.slice(0, 1)));
    else throw tip.error;
    return { kind: 'eip1559', baseFeePerGas: nextBaseFee, maxPriorityFeePerGas: priority, maxFeePerGas: 2n * nextBaseFee + priority };
  }

  async nonceOf(address: string, block: 'latest' | 'pending'): Promise<number> {
    const owner = checkAddress(address, 'address');
    if (block !== 'latest' && block !== 'pending') {
      throw new WalletError('VALIDATION_FAILED', "block must be 'latest' or 'pending'", { details: { field: 'block' } });
    }
    return this.client.call('eth_getTransactionCount', [owner, block], SafeInteger);
  }

  async estimateGas(call: EvmCall): Promise<bigint> {
    const [outcome] = await this.client.batch([{ method: 'eth_estimateGas', params: [toRpcCall(call)], schema: Quantity }] as const);
    if (!outcome.ok) throw callFailure('eth_estimateGas', outcome);
    return outcome.value;
  }

  async receipt(txid: string): Promise<OutgoingTx | null> {
    const hash = checkTxid(txid);
    const receipt = await this.client.call('eth_getTransactionReceipt', [hash], RpcMaybeReceipt);
    if (receipt === null) return null;
    if (receipt.transactionHash !== hash) throw anotherTransaction('eth_getTransactionReceipt', hash, receipt.transactionHash);
    return toOutgoingTx(receipt, this.tokens);
  }

  async balanceOf(address: string, block?: number): Promise<bigint> {
    return this.client.call('eth_getBalance', [checkAddress(address, 'address'), blockTag(block)], Quantity);
  }

  async hasCode(address: string): Promise<boolean> {
    const code = await this.client.call('eth_getCode', [checkAddress(address, 'address'), 'latest'], HexData);
    return code.length > 2;
  }

  async tokenBalanceOf(contract: string, address: string, block?: number): Promise<bigint> {
    const to = checkAddress(contract, 'contract');
    // calldata: balanceOf(address) selector 0x70a08231, then the address left-padded to a 32-byte word
    const data = `0x70a08231${checkAddress(address, 'address').slice(2).padStart(64, '0')}`;
    const [outcome] = await this.client.batch([{ method: 'eth_call', params: [{ to, data }, blockTag(block)], schema: HexData }] as const);
    if (!outcome.ok) throw callFailure('eth_call', outcome);
    // A uint256 return is exactly one word. No code at the address answers 0x; a non-ERC20 anything else.
    if (outcome.value.length !== 2 + 64) {
      throw new WalletError('VALIDATION_FAILED', `eth_call: ${to} did not answer balanceOf with one 32-byte word`, {
        details: { method: 'eth_call', reason: 'not_a_token', contract: to, returnedBytes: (outcome.value.length - 2) / 2 },
      });
    }
    return BigInt(outcome.value);
  }

  async isKnownTransaction(txid: string): Promise<boolean> {
    const hash = checkTxid(txid);
    const tx = await this.client.call('eth_getTransactionByHash', [hash], RpcTransactionByHash);
    if (tx === null) return false;
    if (tx.hash !== hash) throw anotherTransaction('eth_getTransactionByHash', hash, tx.hash);
    return true;
  }

  watchHeads(onHead: (number: number) => void): () => void {
    if (!this.wsUrl) return () => {};
    const watch = watchNewHeads(this.wsUrl, onHead, this.onWatchError);
    this.watches.add(watch);
    return () => {
      watch.close();
      this.watches.delete(watch);
    };
  }

  async close(): Promise<void> {
    for (const watch of this.watches) watch.close();
    this.watches.clear();
    await this.client.close();
  }

  /** Block `number` with its receipts in transaction order, or null beyond the head. */
  private async fetchBlock(number: number): Promise<{ block: RpcBlock; receipts: RpcReceipt[] } | null> {
    const tag = quantity(number);
    if (this.blockReceiptsSupported) {
      const [blockOutcome, receiptsOutcome] = await this.client.batch([
        { method: 'eth_getBlockByNumber', params: [tag, false], schema: RpcBlock },
        { method: 'eth_getBlockReceipts', params: [tag], schema: RpcBlockReceipts },
      ] as const);
      const block = unwrap(blockOutcome);
      if (block === null) return null;
      checkIsBlock(block, number);
      if (!receiptsOutcome.ok && isMethodMissing(receiptsOutcome)) {
        this.blockReceiptsSupported = false;
        return { block, receipts: await this.receiptsOneByOne(block) };
      }
      const receipts = unwrap(receiptsOutcome);
      if (receipts !== null && receiptsMatch(block, receipts)) return { block, receipts };
      // The block at `number` changed between the two calls (a reorg): ask for the receipts of the block we have.
      const byHash = await this.client.call('eth_getBlockReceipts', [block.hash], RpcBlockReceipts);
      if (byHash === null) throw reorganized(number);
      if (!receiptsMatch(block, byHash)) {
        throw new WalletError('INTERNAL', 'eth_getBlockReceipts: receipts do not match the block', {
          details: { method: 'eth_getBlockReceipts', block: number },
        });
      }
      return { block, receipts: byHash };
    }
    const block = await this.client.call('eth_getBlockByNumber', [tag, false], RpcBlock);
    if (block === null) return null;
    return { block: checkIsBlock(block, number), receipts: await this.receiptsOneByOne(block) };
  }

  /** The fallback for nodes without eth_getBlockReceipts: one eth_getTransactionReceipt per transaction, batched. */
  private async receiptsOneByOne(block: RpcBlock): Promise<RpcReceipt[]> {
    const receipts = await this.batched(block.transactions, (hash) => ({
      method: 'eth_getTransactionReceipt',
      params: [hash],
      schema: RpcMaybeReceipt,
    }));
    const complete = receipts.filter((r) => r !== null);
    // A missing receipt, or one from another block: the transaction moved in a reorg since the block was read.
    if (complete.length !== receipts.length || !receiptsMatch(block, complete)) throw reorganized(block.number);
    return complete;
  }

  /** The transactions of `receipts` (same order), read from the block by hash and index, and checked against them. */
  private async transactionsOf(block: RpcBlock, receipts: readonly RpcReceipt[]): Promise<{ from: string; to: string; value: bigint }[]> {
    if (receipts.length === 0) return [];
    const transactions = await this.batched(receipts, (receipt) => ({
      method: 'eth_getTransactionByBlockHashAndIndex',
      params: [block.hash, quantity(receipt.transactionIndex)],
      schema: RpcTransaction,
    }));
    return transactions.map((tx, i) => {
      const receipt = receipts[i];
      if (tx === null) throw reorganized(block.number);
      if (
        receipt === undefined ||
        tx.hash !== receipt.transactionHash ||
        tx.blockHash !== block.hash ||
        tx.from !== receipt.from ||
        tx.to !== receipt.to ||
        tx.to === null
      ) {
        throw new WalletError('INTERNAL', 'eth_getTransactionByBlockHashAndIndex: transaction does not match its receipt', {
          details: { method: 'eth_getTransactionByBlockHashAndIndex', block: block.number, txid: receipt?.transactionHash ?? null },
        });
      }
      return { from: tx.from, to: tx.to, value: tx.value };
    });
  }

  /** One call per item, in batches of at most maxBatchSize sent concurrently; results in item order. */
  private async batched<I, T>(items: readonly I[], toCall: (item: I) => RpcCall<T>): Promise<T[]> {
    const chunks: I[][] = [];
    for (let i = 0; i < items.length; i += this.maxBatchSize) chunks.push(items.slice(i, i + this.maxBatchSize));
    const answers = await Promise.all(chunks.map((chunk) => this.client.batch(chunk.map(toCall))));
    return answers.flat().map(unwrap);
  }
}

/**
 * What a node's refusal of eth_sendRawTransaction means for the sender, matched on its message (codes differ between
 * nodes: anvil answers -32003 for all of these, geth -32000). Wordings: geth, erigon and reth ("nonce too low: next
 * nonce 5, tx nonce 4", "replacement transaction underpriced", "transaction underpriced: tip needed 1, tip permitted
 * 0", "insufficient funds for gas * price + value: ..."), anvil 1.7 ("nonce too low", "replacement transaction
 * underpriced", "Insufficient funds for gas * price + value"), besu (NONCE_TOO_LOW, REPLACEMENT_UNDERPRICED),
 * nethermind (OldNonce, InsufficientFunds), and ethers' "nonce has already been used" that some providers relay.
 */
const broadcastRejections = [
  // The nonce is mined: by another transaction, or by this one (a re-broadcast after mining gets this too).
  { pattern: /nonce too low|nonce has already been used|nonce_too_low|\bOldNonce\b/i, code: 'CONFLICT', reason: 'nonce_used' },
  // A pending transaction with this nonce pays as much or more, or the fee is under the pool's minimum.
  { pattern: /underpriced/i, code: 'CONFLICT', reason: 'underpriced' },
  { pattern: /insufficient ?funds/i, code: 'VALIDATION_FAILED', reason: 'insufficient_funds' },
] as const;

const rejected = { code: 'VALIDATION_FAILED', reason: 'rejected' } as const;

/** The node has this very transaction already (geth "already known", anvil "transaction already imported"). */
const alreadyKnown = /already known|known transaction|already imported|already exists/i;

/**
 * A call's execution failed in the EVM, rather than the node failing to run it. EIP-1474 code 3 is "execution
 * reverted" with revert data; geth and others answer -32000 with these words.
 */
const executionFailed =
  /revert|out of gas|gas required exceeds|invalid opcode|invalid jump|stack (?:underflow|overflow)|write protection|code size exceeded/i;

/** The error for a refused eth_call / eth_estimateGas: VALIDATION_FAILED when the call itself fails, else the node's. */
function callFailure(method: string, failure: RpcFailure): WalletError {
  const insufficient = /insufficient ?funds/i.test(failure.rpcMessage);
  if (failure.rpcCode !== 3 && !insufficient && !executionFailed.test(failure.rpcMessage)) return failure.error;
  const reason = insufficient ? 'insufficient_funds' : 'execution_reverted';
  return new WalletError('VALIDATION_FAILED', `${method}: the call fails (${reason})`, {
    details: {
      method,
      reason,
      rpcCode: failure.rpcCode,
      rpcMessage: failure.rpcMessage,
      ...(failure.rpcData === undefined ? {} : { revertData: failure.rpcData }),
    },
  });
}

function toRpcCall(call: EvmCall): Record<string, string> {
  const rpc: Record<string, string> = { from: checkAddress(call.from, 'from') };
  if (call.to !== null) rpc['to'] = checkAddress(call.to, 'to');
  if (call.data !== undefined) {
    if (!/^0x(?:[0-9a-fA-F]{2})*$/.test(call.data)) {
      throw new WalletError('VALIDATION_FAILED', 'data must be 0x-prefixed hex bytes', { details: { field: 'data' } });
    }
    // `data`, not `input`: every node reads `data`, older ones nothing else.
    rpc['data'] = call.data.toLowerCase();
  }
  if (call.value !== undefined) {
    if (typeof call.value !== 'bigint' || call.value < 0n || call.value >= 2n ** 256n) {
      throw new WalletError('VALIDATION_FAILED', 'value must be a bigint in [0, 2^256)', { details: { field: 'value' } });
    }
    rpc['value'] = `0x${call.value.toString(16)}`;
  }
  return rpc;
}

function toOutgoingTx(receipt: RpcReceipt, tokens: ReadonlyMap<string, string>): OutgoingTx {
  const tokenTransfers: OutgoingTokenTransfer[] = [];
  for (const log of receipt.status === 1 ? receipt.logs : []) {
    // As for deposits: only the configured contract is the token, and only a well-formed Transfer counts.
    const asset = tokens.get(log.address);
    const transfer = asset === undefined ? null : decodeTransferLog(log);
    if (asset !== undefined && transfer !== null)
      tokenTransfers.push({ asset, contract: log.address, ...transfer, logIndex: log.logIndex });
  }
  return {
    txid: receipt.transactionHash,
    from: receipt.from,
    to: receipt.to,
    status: receipt.status === 1 ? 'success' : 'failed',
    gasUsed: receipt.gasUsed,
    effectiveGasPrice: receipt.effectiveGasPrice,
    fee: receipt.gasUsed * receipt.effectiveGasPrice,
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash,
    txIndex: receipt.transactionIndex,
    tokenTransfers,
  };
}

/** A 20-byte address, lower-cased: the form the node's answers are compared in. */
function checkAddress(value: string, field: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new WalletError('VALIDATION_FAILED', `${field} must be a 0x-prefixed 20-byte address`, { details: { field } });
  }
  return value.toLowerCase();
}

function checkTxid(value: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new WalletError('VALIDATION_FAILED', 'txid must be a 0x-prefixed 32-byte hash', { details: { field: 'txid' } });
  }
  return value.toLowerCase();
}

function anotherTransaction(method: string, asked: string, answered: string): WalletError {
  return new WalletError('INTERNAL', `${method}: node answered another transaction`, { details: { method, txid: asked, answered } });
}

function toBlockRef(block: RpcBlock): BlockRef {
  return { number: block.number, hash: block.hash, parentHash: block.parentHash, timestamp: block.timestamp };
}

function quantity(value: number): string {
  return `0x${value.toString(16)}`;
}

function checkBlockNumber(number: number): number {
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new WalletError('VALIDATION_FAILED', 'block number must be a non-negative integer', { details: { field: 'number' } });
  }
  return number;
}

/** A node that answers another block than the one asked for is broken, not merely behind. */
function checkIsBlock(block: RpcBlock, number: number): RpcBlock {
  if (block.number !== number) {
    throw new WalletError('INTERNAL', `eth_getBlockByNumber: asked for block ${number}, node answered block ${block.number}`, {
      details: { method: 'eth_getBlockByNumber', block: number },
    });
  }
  return block;
}

/**
 * Whether `receipts` are exactly the block's: one per transaction hash of the header, of this block hash. Sorts
 * them by transaction index in place (nodes answer in order; this does not rely on it).
 */
function receiptsMatch(block: RpcBlock, receipts: RpcReceipt[]): boolean {
  if (receipts.length !== block.transactions.length) return false;
  receipts.sort((a, b) => a.transactionIndex - b.transactionIndex);
  return receipts.every((r, i) => r.transactionIndex === i && r.transactionHash === block.transactions[i] && r.blockHash === block.hash);
}

function reorganized(number: number): WalletError {
  return new WalletError('UNAVAILABLE', `block ${number} changed while it was read (reorg); retry`, {
    details: { block: number, reason: 'REORG' },
  });
}

function unwrap<T>(outcome: RpcOutcome<T>): T {
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** JSON-RPC's "method not found", or a node's own words for it. */
function isMethodMissing(outcome: { rpcCode: number; rpcMessage: string }): boolean {
  return (
    outcome.rpcCode === -32601 || /\bmethod\b.*\b(?:not|unsupported|unknown)\b|\b(?:unsupported|unknown) method\b/i.test(outcome.rpcMessage)
  );
}

function median(values: bigint[]): bigint {
  if (values.length === 0) return 0n;
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted[Math.floor(sorted.length / 2)] ?? 0n;
}

/** `latest`, or a block number as a JSON-RPC quantity. @throws WalletError VALIDATION_FAILED for anything but a safe integer >= 0 */
function blockTag(block: number | undefined): string {
  if (block === undefined) return 'latest';
  if (!Number.isSafeInteger(block) || block < 0) {
    throw new WalletError('VALIDATION_FAILED', 'block must be a block number', { details: { field: 'block' } });
  }
  return `0x${block.toString(16)}`;
}
