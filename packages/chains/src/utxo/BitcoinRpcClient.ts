import { WalletError } from '@wallet/errors';
import { type Network, type UtxoChain } from '@wallet/keys';
import { z } from 'zod';
import { JsonRpcClient } from '../JsonRpcClient.js';
import { type BlockHeader, type ParsedBlock, parseBlockHeader, parseRawBlock } from './parseRawBlock.js';

/** Options of {@link BitcoinRpcClient}. */
export type BitcoinRpcClientOptions = {
  chain: UtxoChain;
  network: Network;
  /** http(s) URL of bitcoind/litecoind; `user:password@` in it becomes basic authentication. */
  url: string;
  /** Longest wait for an answer (long polls get their own wait on top). @default 30_000 */
  timeoutMs?: number;
};

/** What the chain check and the scanner's head tracking read of `getblockchaininfo`. */
export type BlockchainInfo = {
  /** `main`, `test`, `regtest` (Bitcoin also `testnet4`, `signet`). */
  readonly chain: string;
  readonly blocks: number;
  readonly bestBlockHash: string;
  readonly initialBlockDownload: boolean;
};

const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'not a 32-byte hash');
const Height = z.number().int().nonnegative();
// Hex is checked by decoding it (Buffer stops at the first bad pair): a regex over megabytes would cost more.
const RawHex = z.string().transform((hex, ctx) => {
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length * 2 !== hex.length) {
    ctx.addIssue({ code: 'custom', message: 'not hex bytes' });
    return z.NEVER;
  }
  return bytes;
});
const ChainInfo = z
  .object({ chain: z.string(), blocks: Height, bestblockhash: Hash, initialblockdownload: z.boolean() })
  .transform((i) => ({ chain: i.chain, blocks: i.blocks, bestBlockHash: i.bestblockhash, initialBlockDownload: i.initialblockdownload }));
const WaitResult = z.object({ hash: Hash, height: Height });

// getblockchaininfo `chain` of each network, and the genesis block (Bitcoin Core / Litecoin Core chainparams.cpp):
// the chain name alone would not tell a Litecoin node from a Bitcoin one.
const expectedChains: Record<Network, readonly string[]> = {
  mainnet: ['main'],
  testnet: ['test', 'testnet4', 'signet'],
  regtest: ['regtest'],
};
const genesis: Record<UtxoChain, Partial<Record<Network, string>>> = {
  btc: {
    mainnet: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
    regtest: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
  },
  ltc: {
    mainnet: '12a765e31ffd4059bada1e25190f6e98c99d9714d334efa41a195a7e7e04bfe2',
    testnet: '4966625a4b2851d9fdee139e56211a0d88575f59ed816ff5e6a63deb4e3e29a0',
    regtest: '530827f38f93b43ed12af0b3ad25a288dc02ed74d6d7857862df51fc56c416f9',
  },
};

// estimatesmartfee: `feerate` (coins per kvB) when the node has an estimate, else `errors` ("Insufficient data...").
const SmartFee = z.object({
  feerate: z.number().nonnegative().optional(),
  errors: z.array(z.string()).optional(),
  blocks: z.number().int(),
});
// getmempoolinfo: the lowest fee rates the node accepts into its pool and relays (coins per kvB).
const MempoolFloor = z.object({ mempoolminfee: z.number().nonnegative(), minrelaytxfee: z.number().nonnegative() });

/** The node's fee figures for one confirmation target, in coins per kvB (@see BitcoinRpcClient.feeRates). */
export type NodeFeeRates = {
  /** `estimatesmartfee`; undefined when the node has too little data (always on a fresh regtest). */
  readonly estimate: number | undefined;
  /** The estimate's horizon the node actually used, in blocks. */
  readonly blocks: number;
  readonly mempoolMinFee: number;
  readonly minRelayTxFee: number;
};

// Bitcoin Core RPC_INVALID_PARAMETER: getblockhash beyond the tip.
const RPC_INVALID_PARAMETER = -8;
// RPC_INVALID_ADDRESS_OR_KEY: getrawtransaction of a transaction the node does not know.
const RPC_INVALID_ADDRESS_OR_KEY = -5;
// sendrawtransaction refusals (rpc/protocol.h): RPC_TRANSACTION_ERROR (missing or spent inputs), RPC_VERIFY_REJECTED
// (policy or consensus), RPC_VERIFY_ALREADY_IN_CHAIN.
const RPC_TRANSACTION_ERROR = -25;
const RPC_VERIFY_REJECTED = -26;
const RPC_VERIFY_ALREADY_IN_CHAIN = -27;

const TxConfirmations = z.object({ txid: Hash, confirmations: z.number().int().nonnegative().optional() }).passthrough();
const IndexInfo = z.record(z.string(), z.object({ synced: z.boolean() }).passthrough());

/** How `sendrawtransaction` ended (@see BitcoinRpcClient.sendRawTransaction). */
export type SendOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'in_chain' }
  /** An input is missing or already spent (by a mined transaction, or one the node no longer has). */
  | { readonly kind: 'inputs_spent'; readonly rpcMessage: string }
  /** A pool transaction spends the same inputs and this one does not pay enough to replace it, or the fee is too low. */
  | { readonly kind: 'underpriced'; readonly rpcMessage: string }
  | { readonly kind: 'rejected'; readonly rpcCode: number; readonly rpcMessage: string };

/**
 * The Bitcoin Core JSON-RPC calls a UTXO deposit scanner needs, for bitcoind and litecoind alike. Every answer is
 * validated (the node is untrusted input); raw blocks are parsed in-process and checked to be the block asked for.
 * Errors are WalletErrors: UNAVAILABLE (unreachable, or an RPC error: `details.rpcCode`), TIMEOUT, INTERNAL
 * (malformed answer or block), CONFIG_INVALID (the node is on another chain or network).
 */
export class BitcoinRpcClient {
  readonly chain: UtxoChain;
  readonly network: Network;
  private readonly rpc: JsonRpcClient;
  private readonly options: BitcoinRpcClientOptions;
  private longPoll: JsonRpcClient | undefined;
  private longPollTimeoutMs = 0;

  /** @param options see {@link BitcoinRpcClientOptions} */
  constructor(options: BitcoinRpcClientOptions) {
    this.chain = options.chain;
    this.network = options.network;
    this.options = options;
    this.rpc = new JsonRpcClient({ url: options.url, timeoutMs: options.timeoutMs ?? 30_000 });
  }

  /** `getblockchaininfo`. */
  async blockchainInfo(): Promise<BlockchainInfo> {
    return this.rpc.call('getblockchaininfo', [], ChainInfo);
  }

  /**
   * Refuses a node on another chain or network than configured (a regtest node configured as mainnet, a Bitcoin
   * node configured as Litecoin): its `getblockchaininfo` chain, and its genesis block where it is known.
   * @returns the node's chain info
   * @throws WalletError CONFIG_INVALID with `details.reason` CHAIN_MISMATCH or GENESIS_MISMATCH
   */
  async assertChain(): Promise<BlockchainInfo> {
    const [info, genesisHash] = await this.rpc.batch([
      { method: 'getblockchaininfo', params: [], schema: ChainInfo },
      { method: 'getblockhash', params: [0], schema: Hash },
    ] as const);
    if (!info.ok) throw info.error;
    if (!genesisHash.ok) throw genesisHash.error;
    const details = { chain: this.chain, network: this.network, nodeChain: info.value.chain };
    if (!expectedChains[this.network].includes(info.value.chain)) {
      throw new WalletError('CONFIG_INVALID', `${this.chain} node is on chain "${info.value.chain}", not ${this.network}`, {
        details: { ...details, reason: 'CHAIN_MISMATCH' },
      });
    }
    const expected = genesis[this.chain][this.network];
    if (expected !== undefined && genesisHash.value !== expected) {
      throw new WalletError('CONFIG_INVALID', `node's genesis block is not the one of ${this.chain} ${this.network}`, {
        details: { ...details, reason: 'GENESIS_MISMATCH', genesis: genesisHash.value },
      });
    }
    return info.value;
  }

  /** `estimatesmartfee <confTarget>` and `getmempoolinfo`, in one batch. */
  async feeRates(confTarget: number): Promise<NodeFeeRates> {
    const [smart, pool] = await this.rpc.batch([
      { method: 'estimatesmartfee', params: [confTarget], schema: SmartFee },
      { method: 'getmempoolinfo', params: [], schema: MempoolFloor },
    ] as const);
    if (!smart.ok) throw smart.error;
    if (!pool.ok) throw pool.error;
    return {
      estimate: smart.value.feerate,
      blocks: smart.value.blocks,
      mempoolMinFee: pool.value.mempoolminfee,
      minRelayTxFee: pool.value.minrelaytxfee,
    };
  }

  /** `getblockcount`: the height of the node's best chain. */
  async blockCount(): Promise<number> {
    return this.rpc.call('getblockcount', [], Height);
  }

  /** `getbestblockhash`. */
  async bestBlockHash(): Promise<string> {
    return this.rpc.call('getbestblockhash', [], Hash);
  }

  /**
   * `getblockhash`: the hash of the best chain's block at `height`.
   * @returns null when the height is beyond the tip
   */
  async blockHash(height: number): Promise<string | null> {
    const [outcome] = await this.rpc.batch([{ method: 'getblockhash', params: [height], schema: Hash }] as const);
    if (outcome.ok) return outcome.value;
    if (outcome.rpcCode === RPC_INVALID_PARAMETER) return null;
    throw outcome.error;
  }

  /**
   * `getblockheader <hash> false`, decoded and checked to be the header of `hash`.
   * @throws WalletError INTERNAL when the node answers another header
   */
  async blockHeader(hash: string): Promise<BlockHeader> {
    const header = parseBlockHeader(await this.rpc.call('getblockheader', [hash, false], RawHex));
    if (header.hash !== hash) throw mismatch('getblockheader', hash, header.hash);
    return header;
  }

  /**
   * `getblock <hash> 0`, parsed in-process (MWEB-aware on Litecoin) and checked: its header hashes to `hash` and
   * its transactions to the header's merkle root.
   * @throws WalletError INTERNAL for a malformed block or another block than asked
   */
  async rawBlock(hash: string): Promise<ParsedBlock> {
    return (await this.rawBlockWithBytes(hash)).block;
  }

  /** {@link rawBlock}, with the bytes it was parsed from (the parsed block's scripts are views into them). */
  async rawBlockWithBytes(hash: string): Promise<{ block: ParsedBlock; raw: Buffer }> {
    const raw = await this.rpc.callHex('getblock', [hash, 0]);
    const block = parseRawBlock(raw, { mweb: this.chain === 'ltc' });
    if (block.hash !== hash) throw mismatch('getblock', hash, block.hash);
    return { block, raw };
  }

  /**
   * `waitfornewblock`: waits until the node's tip changes, or `timeoutMs` passes.
   * @returns the tip when the wait ended (the same tip when it timed out)
   */
  async waitForNewBlock(timeoutMs: number): Promise<{ hash: string; height: number }> {
    if (this.longPoll === undefined || this.longPollTimeoutMs < timeoutMs) {
      // its own connection, so a long poll never holds up the scanner's calls, with room for the node's wait
      await this.longPoll?.close();
      this.longPollTimeoutMs = timeoutMs;
      this.longPoll = new JsonRpcClient({
        url: this.options.url,
        timeoutMs: timeoutMs + (this.options.timeoutMs ?? 30_000),
        connections: 1,
      });
    }
    return this.longPoll.call('waitfornewblock', [timeoutMs], WaitResult);
  }

  /**
   * `sendrawtransaction <hex>`, with the node's refusals told apart. A transaction already in the pool is `sent` (the
   * node answers its id again).
   */
  async sendRawTransaction(hex: string): Promise<SendOutcome> {
    const [outcome] = await this.rpc.batch([{ method: 'sendrawtransaction', params: [hex], schema: Hash }] as const);
    if (outcome.ok) return { kind: 'sent' };
    const { rpcCode, rpcMessage } = outcome;
    if (rpcCode === RPC_VERIFY_ALREADY_IN_CHAIN || /already in (?:the )?block ?chain/i.test(rpcMessage)) return { kind: 'in_chain' };
    if (/txn-already-in-mempool|txn-already-known/i.test(rpcMessage)) return { kind: 'sent' };
    if (rpcCode === RPC_TRANSACTION_ERROR || /missingorspent|missing[- ]inputs/i.test(rpcMessage)) {
      return { kind: 'inputs_spent', rpcMessage };
    }
    if (
      rpcCode === RPC_VERIFY_REJECTED &&
      /mempool-conflict|insufficient fee|min relay fee not met|mempool min fee not met/i.test(rpcMessage)
    ) {
      return { kind: 'underpriced', rpcMessage };
    }
    if (rpcCode === RPC_VERIFY_REJECTED || rpcCode === -22 /* RPC_DESERIALIZATION_ERROR */)
      return { kind: 'rejected', rpcCode, rpcMessage };
    throw outcome.error;
  }

  /**
   * How many confirmations the node counts for a transaction (`getrawtransaction <txid> true`; needs `-txindex` for
   * mined transactions).
   * @returns 0 while it is in the pool, null when the node does not know it
   */
  async txConfirmations(txid: string): Promise<number | null> {
    const [outcome] = await this.rpc.batch([{ method: 'getrawtransaction', params: [txid, true], schema: TxConfirmations }] as const);
    if (outcome.ok) return outcome.value.confirmations ?? 0;
    if (outcome.rpcCode === RPC_INVALID_ADDRESS_OR_KEY) return null;
    throw outcome.error;
  }

  /** Whether the node keeps a transaction index (`getindexinfo`): without one it cannot look mined transactions up. */
  async hasTxIndex(): Promise<boolean> {
    const info = await this.rpc.call('getindexinfo', [], IndexInfo);
    return info['txindex'] !== undefined;
  }

  /**
   * What the UTXO set holds for `addresses` now (`scantxoutset start ["addr(...)", ...]`: reads the node's whole UTXO
   * set, no wallet or index needed; seconds on regtest, minutes on mainnet), at the height it was scanned at.
   * Amounts come as JSON numbers of coins with 8 decimals: each output's is turned into base units by rounding
   * `amount x 10^8`, exact for every amount below 2^53 base units.
   */
  async addressesBalance(addresses: readonly string[]): Promise<{ height: number; total: bigint }> {
    const result = await this.rpc.call(
      'scantxoutset',
      ['start', addresses.map((a) => `addr(${a})`)],
      z
        .object({
          success: z.literal(true),
          height: z.number().int().nonnegative(),
          unspents: z.array(z.object({ amount: z.number().nonnegative() }).passthrough()),
        })
        .passthrough(),
    );
    let total = 0n;
    for (const u of result.unspents) total += BigInt(Math.round(u.amount * 1e8));
    return { height: result.height, total };
  }

  /**
   * The addresses a transaction's inputs spent from (`getrawtransaction` of it and of each transaction it spends;
   * needs `-txindex`): what tells a refill from the cold wallet from any other payment into the wallet.
   * @returns each distinct address once; null when the node does not know the transaction
   */
  async inputAddresses(txid: string): Promise<string[] | null> {
    const Vin = z
      .object({ vin: z.array(z.object({ txid: Hash.optional(), vout: z.number().int().nonnegative().optional() }).passthrough()) })
      .passthrough();
    const Vout = z
      .object({
        vout: z.array(
          z
            .object({
              n: z.number().int(),
              scriptPubKey: z.object({ address: z.string().optional(), addresses: z.array(z.string()).optional() }).passthrough(),
            })
            .passthrough(),
        ),
      })
      .passthrough();
    const [outcome] = await this.rpc.batch([{ method: 'getrawtransaction', params: [txid, true], schema: Vin }] as const);
    if (!outcome.ok) {
      if (outcome.rpcCode === RPC_INVALID_ADDRESS_OR_KEY) return null;
      throw outcome.error;
    }
    const spent = outcome.value.vin.filter((i) => i.txid !== undefined && i.vout !== undefined);
    const found = new Set<string>();
    for (const prev of new Set(spent.map((i) => i.txid!))) {
      const tx = await this.rpc.call('getrawtransaction', [prev, true], Vout);
      for (const i of spent.filter((x) => x.txid === prev)) {
        const out = tx.vout.find((o) => o.n === i.vout);
        for (const a of [out?.scriptPubKey.address, ...(out?.scriptPubKey.addresses ?? [])]) if (a !== undefined) found.add(a);
      }
    }
    return [...found];
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await Promise.all([this.rpc.close(), this.longPoll?.close()]);
  }
}

function mismatch(method: string, asked: string, got: string): WalletError<'INTERNAL'> {
  return new WalletError('INTERNAL', `${method}: node answered another block than asked`, {
    details: { method, reason: 'BLOCK_MISMATCH', asked, got },
  });
}
