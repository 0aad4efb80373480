import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { WalletError } from '@wallet/errors';
import { type UtxoChain, validateAddress } from '@wallet/keys';
import type { BlockRef, ChainAdapter, FeeEstimate, ObservedSpend, ObservedTransfer, ScannedBlock } from '../ChainAdapter.js';
import { scriptToAddress } from './addressScript.js';
import { BitcoinRpcClient } from './BitcoinRpcClient.js';
import type { BlockHeader } from './parseRawBlock.js';

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
};

/**
 * A Bitcoin Core JSON-RPC chain (BTC or LTC) as the deposit scanner sees it: heights and hashes from the node, blocks
 * fetched raw (`getblock <hash> 0`) and parsed in-process. Every output paying a watched address is a transfer keyed by
 * (txid, output index), so several outputs to us in one transaction are several transfers.
 *
 * Checks the node's chain and network at creation (a regtest node configured as mainnet is refused).
 * @throws WalletError CONFIG_INVALID (not a UTXO chain, bad URL, node on another chain), UNAVAILABLE (node unreachable)
 */
export async function createUtxoAdapter(options: UtxoAdapterOptions): Promise<ChainAdapter> {
  const { chain } = options;
  const invalid = (message: string): WalletError =>
    new WalletError('CONFIG_INVALID', `chain ${chain.id}: ${message}`, { details: { chain: chain.id } });
  if (chain.kind !== 'utxo' || chain.family === 'eth') throw invalid('not a UTXO chain');
  if (!URL.canParse(options.rpcUrl) || !/^https?:$/.test(new URL(options.rpcUrl).protocol)) throw invalid('rpcUrl is not an http(s) URL');
  if (!options.assets.some((a) => a.id === chain.nativeAsset)) throw invalid(`native asset ${chain.nativeAsset} not given`);
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
  return new UtxoChainAdapter(chain, client, options.longPollMs ?? 10_000);
}

class UtxoChainAdapter implements ChainAdapter {
  readonly chain: string;
  readonly tracksOutputs = true;
  private readonly family: UtxoChain;
  private readonly spec: ChainSpec;
  private readonly watchers = new Set<{ stopped: boolean }>();

  constructor(
    spec: ChainSpec,
    private readonly client: BitcoinRpcClient,
    private readonly longPollMs: number,
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

  async scanBlock(
    number: number,
    isWatched: (address: string) => boolean,
    _isOutgoing?: (from: string) => boolean,
    isWatchedOutput?: (txid: string, vout: number) => boolean,
  ): Promise<ScannedBlock | null> {
    const hash = await this.client.blockHash(checkHeight(number));
    if (hash === null) return null;
    // Checked by the client: the block hashes to `hash` and its transactions to its merkle root.
    const block = await this.client.rawBlock(hash);
    const transfers: ObservedTransfer[] = [];
    const spends: ObservedSpend[] = [];
    const { family, spec } = this;
    for (const tx of block.transactions) {
      if (isWatchedOutput) {
        for (const input of tx.inputs) {
          if (isWatchedOutput(input.txid, input.vout)) spends.push({ txid: tx.txid, prevTxid: input.txid, prevVout: input.vout });
        }
      }
      tx.outputs.forEach((output, vout) => {
        // Zero-value outputs move nothing; scripts without an address (OP_RETURN, the HogEx's MWEB output) are never ours.
        if (output.value <= 0n || !isDepositShape(output.script)) return;
        const address = scriptToAddress(family, spec.network, output.script);
        if (address === null || !isWatched(address)) return;
        transfers.push({
          chain: this.chain,
          asset: spec.nativeAsset,
          txid: tx.txid,
          outputIndex: vout,
          to: address,
          from: null,
          amount: output.value,
          blockNumber: number,
          blockHash: block.hash,
          script: output.script.toString('hex'),
        });
      });
    }
    return {
      block: { number, hash: block.hash, parentHash: block.prevHash, timestamp: block.time },
      transfers,
      outgoing: [],
      txCount: block.transactions.length,
      spends,
    };
  }

  async broadcast(): Promise<string> {
    throw new WalletError('UNSUPPORTED_CHAIN', `chain ${this.chain}: withdrawals are not supported on UTXO chains yet`, {
      details: { chain: this.chain },
    });
  }

  async feeEstimate(): Promise<FeeEstimate> {
    throw new WalletError('UNSUPPORTED_CHAIN', `chain ${this.chain}: withdrawals are not supported on UTXO chains yet`, {
      details: { chain: this.chain },
    });
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
function isDepositShape(s: Buffer): boolean {
  return (
    (s.length === 22 && s[0] === 0x00 && s[1] === 0x14) ||
    (s.length === 23 && s[0] === 0xa9 && s[1] === 0x14) ||
    (s.length === 25 && s[0] === 0x76 && s[1] === 0xa9)
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
