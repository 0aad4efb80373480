import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { WalletError } from '@wallet/errors';
import { Transaction } from 'bitcoinjs-lib';
import { type UtxoChain, validateAddress } from '@wallet/keys';
import type { AddressMatcher, BlockRef, ChainAdapter, FeeRateEstimate, ObservedTransfer, ScannedBlock } from '../ChainAdapter.js';
import { ceilSatPerVbyte, satPerKvB } from './feeRate.js';
import { scriptToAddress } from './addressScript.js';
import { BitcoinRpcClient } from './BitcoinRpcClient.js';
import type { BlockHeader } from './parseRawBlock.js';
import { ScriptAddressIndex } from './ScriptAddressIndex.js';
import { UtxoBlockInputs } from './UtxoBlockInputs.js';
import { UtxoOutpointSet } from './UtxoOutpointSet.js';

/** Options of {@link createUtxoAdapter}. */
export type UtxoAdapterOptions = {
  /** The registry's chain: kind `utxo`, family btc or ltc. */
  chain: ChainSpec;
  /** The chain's assets from the registry (its native asset). */
  assets: readonly AssetSpec[];
  /** bitcoind/litecoind JSON-RPC URL; `user:password@` in it becomes basic authentication. */
  rpcUrl: string;
  /** Longest wait for an answer from the node. @default 30_000 */
  timeoutMs?: number;
  /** Longest `waitfornewblock` long poll of {@link ChainAdapter.watchHeads}. @default 10_000 */
  longPollMs?: number;
  /** How {@link ChainAdapter.feeEstimate} picks a fee rate. */
  fees?: Partial<UtxoFeePolicy>;
};

/** The fee-rate policy of a UTXO chain's withdrawals. */
export type UtxoFeePolicy = {
  /** Blocks within which a withdrawal should confirm (estimatesmartfee's target), 1-1008. @default 6 */
  readonly confTarget: number;
  /** Sat/vB when the node has no estimate (a fresh node, regtest). @default 10n */
  readonly fallbackSatPerVbyte: bigint;
  /** Never more than this many sat/vB, whatever the node estimates. @default 500n */
  readonly maxSatPerVbyte: bigint;
};

/**
 * A Bitcoin Core JSON-RPC chain (BTC or LTC) as the deposit scanner sees it: heights and hashes from the node, blocks
 * fetched raw (`getblock <hash> 0`) and parsed in-process. Every output paying a watched address is a transfer keyed by
 * (txid, output index), so several outputs to us in one transaction are several transfers.
 *
 * Checks the node's chain and network at creation (a regtest node configured as mainnet is refused).
 * @throws WalletError CONFIG_INVALID (not a UTXO chain, bad URL, node on another chain), UNAVAILABLE (node unreachable)
 */
export async function createUtxoAdapter(options: UtxoAdapterOptions): Promise<UtxoAdapter> {
  const { chain } = options;
  const invalid = (message: string): WalletError =>
    new WalletError('CONFIG_INVALID', `chain ${chain.id}: ${message}`, { details: { chain: chain.id } });
  if (chain.kind !== 'utxo' || chain.family === 'eth') throw invalid('not a UTXO chain');
  if (!URL.canParse(options.rpcUrl) || !/^https?:$/.test(new URL(options.rpcUrl).protocol)) throw invalid('rpcUrl is not an http(s) URL');
  if (!options.assets.some((a) => a.id === chain.nativeAsset)) throw invalid(`native asset ${chain.nativeAsset} not given`);
  const fees: UtxoFeePolicy = { confTarget: 6, fallbackSatPerVbyte: 10n, maxSatPerVbyte: 500n, ...options.fees };
  if (!Number.isInteger(fees.confTarget) || fees.confTarget < 1 || fees.confTarget > 1008)
    throw invalid('fees.confTarget must be 1-1008 blocks');
  if (fees.fallbackSatPerVbyte < 1n || fees.maxSatPerVbyte < fees.fallbackSatPerVbyte) {
    throw invalid('fees: fallbackSatPerVbyte must be >= 1 and maxSatPerVbyte >= fallbackSatPerVbyte');
  }
  const client = new BitcoinRpcClient({
    chain: chain.family,
    network: chain.network,
    url: options.rpcUrl,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  try {
    await client.assertChain();
  } catch (error) {
    await client.close();
    throw error;
  }
  return new UtxoChainAdapter(chain, client, options.longPollMs ?? 10_000, fees);
}

/** A UTXO chain's adapter, with the reads the payout family needs besides the scanner's. */
export type UtxoAdapter = ChainAdapter<FeeRateEstimate> & {
  readonly tracksOutputs: true;
  confirmations(txid: string): Promise<number | null>;
  hasTxIndex(): Promise<boolean>;
  /** What addresses hold in the node's UTXO set now, and the height read at (reconciliation's watched cold wallets). */
  addressesBalance(addresses: readonly string[]): Promise<{ height: number; total: bigint }>;
  /** The addresses a transaction's inputs spent from (needs `-txindex`); null when the node does not know it. */
  inputAddresses(txid: string): Promise<string[] | null>;
};

/**
 * Whether an adapter made by `createChainAdapter` is a UTXO chain's, with the payout family's reads. Decided by what
 * the adapter offers, not by `instanceof` (it must hold across package copies).
 */
export function isUtxoAdapter(adapter: ChainAdapter): adapter is UtxoAdapter {
  const a = adapter as Partial<UtxoAdapter>;
  return a.tracksOutputs === true && typeof a.confirmations === 'function' && typeof a.hasTxIndex === 'function';
}

/** The id of a serialized transaction (hex): double SHA-256 of it without witnesses, byte-reversed. */
function txidOf(rawHex: string): string {
  try {
    return Transaction.fromHex(rawHex).getId();
  } catch {
    throw new WalletError('VALIDATION_FAILED', 'raw transaction is not a serialized transaction', { details: { field: 'rawTx' } });
  }
}

class UtxoChainAdapter implements UtxoAdapter {
  readonly chain: string;
  readonly tracksOutputs = true as const;
  private readonly family: UtxoChain;
  private readonly spec: ChainSpec;
  private readonly watchers = new Set<{ stopped: boolean }>();

  constructor(
    spec: ChainSpec,
    private readonly client: BitcoinRpcClient,
    private readonly longPollMs: number,
    private readonly fees: UtxoFeePolicy,
  ) {
    this.chain = spec.id;
    this.spec = spec;
    this.family = spec.family as UtxoChain;
  }

  canonicalAddress(address: string): string {
    return validateAddress(this.family, this.spec.network, address);
  }

  async head(): Promise<BlockRef> {
    const info = await this.client.blockchainInfo();
    return toBlockRef(info.blocks, await this.client.blockHeader(info.bestBlockHash));
  }

  async blockRef(number: number): Promise<BlockRef | null> {
    const hash = await this.client.blockHash(checkHeight(number));
    if (hash === null) return null;
    return toBlockRef(number, await this.client.blockHeader(hash));
  }

  async scanBlock(number: number, watched: AddressMatcher): Promise<ScannedBlock | null> {
    const hash = await this.client.blockHash(checkHeight(number));
    if (hash === null) return null;
    // Checked by the client: the block hashes to `hash` and its transactions to its merkle root.
    const { block, raw } = await this.client.rawBlockWithBytes(hash);
    // Our own index is matched by script bytes; anything else by the output's address.
    const scripts = watched instanceof ScriptAddressIndex ? watched.scripts : null;
    const isWatched = typeof watched === 'function' ? watched : (address: string): boolean => watched.get(address) !== undefined;
    const transfers: ObservedTransfer[] = [];
    const { family, spec } = this;
    for (const tx of block.transactions) {
      for (let vout = 0; vout < tx.outputCount; vout++) {
        // Read in place: an object is made only for the outputs that pay us.
        const at = tx.outputScriptAt(vout);
        const length = tx.outputScriptLength(vout);
        // Scripts without an address (OP_RETURN, the HogEx's MWEB output) are never ours.
        if (!isDepositShape(raw, at, length)) continue;
        if (scripts !== null && scripts.getAt(raw, at, length) === undefined) continue;
        const script = raw.subarray(at, at + length);
        const address = scriptToAddress(family, spec.network, script);
        if (address === null || (scripts === null && !isWatched(address))) continue;
        const amount = tx.outputValue(vout);
        if (amount <= 0n) continue; // zero-value outputs move nothing
        transfers.push({
          chain: this.chain,
          asset: spec.nativeAsset,
          txid: tx.txid,
          outputIndex: vout,
          to: address,
          from: null,
          amount,
          blockNumber: number,
          blockHash: block.hash,
          script: script.toString('hex'),
        });
      }
    }
    return {
      block: { number, hash: block.hash, parentHash: block.prevHash, timestamp: block.time },
      transfers,
      outgoing: [],
      txCount: block.transactions.length,
      inputs: new UtxoBlockInputs(raw, block.transactions),
    };
  }

  createAddressIndex(): ScriptAddressIndex {
    return new ScriptAddressIndex(this.family, this.spec.network);
  }

  createOutpointSet(): UtxoOutpointSet {
    return new UtxoOutpointSet();
  }

  /**
   * Sends a signed transaction (hex). Idempotent: one already in the pool, or mined, answers its id again.
   * @throws WalletError CONFLICT `details.reason` `inputs_spent` (an input is spent or missing: by a mined transaction,
   *   ours or not) or `underpriced` (a pool transaction spends the same inputs and this one does not pay enough to
   *   replace it, or its fee is below the node's floor); VALIDATION_FAILED for any other refusal (`details.rpcMessage`)
   */
  async broadcast(rawTx: string): Promise<string> {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(rawTx)) {
      throw new WalletError('VALIDATION_FAILED', 'raw transaction must be hex bytes', { details: { field: 'rawTx' } });
    }
    const txid = txidOf(rawTx);
    const outcome = await this.client.sendRawTransaction(rawTx);
    switch (outcome.kind) {
      case 'sent':
      case 'in_chain':
        return txid;
      case 'inputs_spent':
      case 'underpriced':
        throw new WalletError('CONFLICT', `sendrawtransaction: the node refused the transaction (${outcome.kind})`, {
          details: { method: 'sendrawtransaction', txid, reason: outcome.kind, rpcMessage: outcome.rpcMessage },
        });
      case 'rejected':
        throw new WalletError('VALIDATION_FAILED', 'sendrawtransaction: the node rejected the transaction', {
          details: { method: 'sendrawtransaction', txid, reason: 'rejected', rpcCode: outcome.rpcCode, rpcMessage: outcome.rpcMessage },
        });
    }
  }

  /**
   * The node's confirmations of a transaction: 0 in the pool, null when it knows nothing of it (needs `-txindex`;
   * see {@link hasTxIndex}).
   */
  confirmations(txid: string): Promise<number | null> {
    if (!/^[0-9a-f]{64}$/.test(txid)) {
      throw new WalletError('VALIDATION_FAILED', 'txid must be 64 lower-case hex characters', { details: { field: 'txid' } });
    }
    return this.client.txConfirmations(txid);
  }

  /** Whether the node keeps a transaction index, without which {@link confirmations} cannot see mined transactions. */
  hasTxIndex(): Promise<boolean> {
    return this.client.hasTxIndex();
  }

  addressesBalance(addresses: readonly string[]): Promise<{ height: number; total: bigint }> {
    return this.client.addressesBalance(addresses);
  }

  inputAddresses(txid: string): Promise<string[] | null> {
    if (!/^[0-9a-f]{64}$/.test(txid)) {
      throw new WalletError('VALIDATION_FAILED', 'txid must be 64 lower-case hex characters', { details: { field: 'txid' } });
    }
    return this.client.inputAddresses(txid);
  }

  /**
   * The fee rate for a transaction to confirm within the configured target: the node's `estimatesmartfee`, or the
   * configured fallback when the node has too little data; never below the node's relay floor (a transaction below it
   * would not even enter the pool), never above the configured maximum (a runaway estimate must not drain the hot
   * wallet: the payout sees `capped` and may wait).
   */
  async feeEstimate(): Promise<FeeRateEstimate> {
    const { confTarget, fallbackSatPerVbyte, maxSatPerVbyte } = this.fees;
    const node = await this.client.feeRates(confTarget);
    const floor = ceilSatPerVbyte(satPerKvB(Math.max(node.mempoolMinFee, node.minRelayTxFee)));
    const estimated = node.estimate === undefined ? undefined : ceilSatPerVbyte(satPerKvB(node.estimate));
    let rate = estimated ?? fallbackSatPerVbyte;
    if (rate < floor) rate = floor;
    const capped = rate > maxSatPerVbyte;
    return {
      kind: 'feerate',
      satPerVbyte: capped ? maxSatPerVbyte : rate,
      source: estimated === undefined ? 'fallback' : 'node',
      confTarget,
      floorSatPerVbyte: floor,
      capped,
    };
  }

  /** New blocks by `waitfornewblock` long polls on their own connection (the scanner polls regardless). */
  watchHeads(onHead: (number: number) => void): () => void {
    const watch = { stopped: false };
    this.watchers.add(watch);
    void (async () => {
      while (!watch.stopped) {
        try {
          const tip = await this.client.waitForNewBlock(this.longPollMs);
          if (!watch.stopped) onHead(tip.height);
        } catch {
          // Node down or restarting: the scanner's polling notices as well; try again shortly.
          if (!watch.stopped) await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    })();
    return () => {
      watch.stopped = true;
      this.watchers.delete(watch);
    };
  }

  async close(): Promise<void> {
    for (const watch of this.watchers) watch.stopped = true;
    this.watchers.clear();
    await this.client.close();
  }
}

/**
 * Whether a script has a shape a deposit can take (P2WPKH, P2SH, P2PKH): others are skipped before the costlier
 * address encoding.
 * ```
 * P2WPKH 00 14 <20>   P2SH a9 14 <20> 87   P2PKH 76 a9 14 <20> 88 ac
 * ```
 */
function isDepositShape(b: Buffer, at: number, length: number): boolean {
  return (
    (length === 22 && b[at] === 0x00 && b[at + 1] === 0x14) ||
    (length === 23 && b[at] === 0xa9 && b[at + 1] === 0x14) ||
    (length === 25 && b[at] === 0x76 && b[at + 1] === 0xa9)
  );
}

function toBlockRef(number: number, header: BlockHeader): BlockRef {
  return { number, hash: header.hash, parentHash: header.prevHash, timestamp: header.time };
}

function checkHeight(number: number): number {
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new WalletError('VALIDATION_FAILED', 'block height must be a non-negative integer', { details: { field: 'number' } });
  }
  return number;
}
