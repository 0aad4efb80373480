import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { JsonRpcClient } from '@wallet/chains';
import { WalletError } from '@wallet/errors';
import { validateAddress } from '@wallet/keys';
import { z } from 'zod';
import { type DevChain, type DevChainOptions, type DevFunding, type DevTxPosition, callExplained, notDevChain } from './devChain.js';
import { formatDecimalAmount } from './decimalAmount.js';

const Hash = z.string().regex(/^[0-9a-f]{64}$/);
const Height = z.number().int().nonnegative();
const RawTx = z.object({ confirmations: z.number().int().nonnegative().optional(), blockhash: Hash.optional() }).passthrough();

/** The local stack's wallet on its litecoind (deploy/local/stack.sh creates it and mines to it). */
const DEFAULT_NODE_WALLET = 'miner';
/** Bitcoin Core's RPC_INVALID_ADDRESS_OR_KEY: no such transaction. */
const NOT_FOUND = -5;
/** The coin's base units per coin: bitcoind and litecoind count in 8 decimals. */
const NODE_DECIMALS = 8;

// Litecoin Core 0.21 regtest: MWEB activates at block 432, which cannot be mined without a peg-in (its HogEx
// transaction has no input otherwise), and the mempool takes a peg-in only while the next block is MWEB-active, i.e.
// at tip 431: the same routine as deploy/local/stack.sh's ltc_mine and the test harness's PrivateLitecoind.mineTo.
const MWEB_HEIGHT = 432;
const PEGIN_COINS = '10';

/**
 * A bitcoind/litecoind development node: opened only when the node says its chain is `regtest`. It pays and mines
 * with its own wallet (`nodeWallet`, default the stack's `miner`), loaded when first needed.
 * @throws WalletError FORBIDDEN (not a regtest node)
 */
export async function openUtxoDevChain(spec: ChainSpec, rpcUrl: string, options: DevChainOptions): Promise<DevChain> {
  const node = new JsonRpcClient({ url: rpcUrl, connections: 1 });
  try {
    const info = await node.call('getblockchaininfo', [], z.object({ chain: z.string() }).passthrough());
    if (info.chain !== 'regtest') {
      const network = info.chain === 'main' ? 'mainnet' : info.chain === 'test' ? 'testnet' : info.chain;
      throw notDevChain(spec.id, `the node at ${new URL(rpcUrl).host} is on ${network}, not regtest`);
    }
  } catch (error) {
    await node.close();
    throw error;
  }
  const walletName = options.nodeWallet ?? DEFAULT_NODE_WALLET;
  const walletUrl = new URL(rpcUrl);
  walletUrl.pathname = `/wallet/${encodeURIComponent(walletName)}`;
  return new UtxoDevChain(spec, node, new JsonRpcClient({ url: walletUrl.toString(), connections: 1 }), walletName);
}

class UtxoDevChain implements DevChain {
  readonly node: string;
  #walletReady = false;

  constructor(
    readonly spec: ChainSpec,
    private readonly client: JsonRpcClient,
    private readonly wallet: JsonRpcClient,
    private readonly walletName: string,
  ) {
    this.node = `regtest node, wallet ${walletName}`;
  }

  async fund(to: string, asset: AssetSpec, amount: bigint): Promise<DevFunding> {
    const destination = validateAddress(this.spec.family, 'regtest', to);
    if (asset.id !== this.spec.nativeAsset || asset.decimals !== NODE_DECIMALS) {
      throw new WalletError('VALIDATION_FAILED', `chain ${this.spec.id} pays only ${this.spec.nativeAsset} (8 decimals)`, {
        details: { field: 'asset', asset: asset.id },
      });
    }
    await this.#ensureWallet();
    // The amount as a decimal string: the node parses it exactly (a JSON number would pass through a double).
    const txid = await callExplained(this.wallet, 'sendtoaddress', [destination, formatDecimalAmount(amount, NODE_DECIMALS)], Hash);
    return { txid, from: `wallet ${this.walletName}`, blockNumber: null };
  }

  async mine(blocks: number): Promise<number> {
    await this.#ensureWallet();
    const address = await this.wallet.call('getnewaddress', [], z.string());
    const target = (await this.height()) + blocks;
    for (let height = await this.height(); height < target; height = await this.height()) {
      let step = target - height;
      if (this.spec.family === 'ltc' && height < MWEB_HEIGHT - 1) step = Math.min(target, MWEB_HEIGHT - 1) - height;
      else if (this.spec.family === 'ltc' && height === MWEB_HEIGHT - 1) {
        const mweb = await this.wallet.call('getnewaddress', ['', 'mweb'], z.string());
        await callExplained(this.wallet, 'sendtoaddress', [mweb, PEGIN_COINS], Hash);
        step = 1;
      }
      await callExplained(this.wallet, 'generatetoaddress', [step, address], z.array(Hash));
    }
    return this.height();
  }

  height(): Promise<number> {
    return this.client.call('getblockcount', [], Height);
  }

  async transaction(txid: string): Promise<DevTxPosition | null> {
    if (!Hash.safeParse(txid).success) return null;
    const [found] = await this.client.batch([{ method: 'getrawtransaction', params: [txid, true], schema: RawTx }] as const);
    if (!found.ok) {
      if (found.rpcCode === NOT_FOUND) return null;
      throw found.error;
    }
    if (found.value.blockhash === undefined) return { blockNumber: null, confirmations: 0 };
    const header = await this.client.call('getblockheader', [found.value.blockhash], z.object({ height: Height }).passthrough());
    return { blockNumber: header.height, confirmations: found.value.confirmations ?? 0 };
  }

  async close(): Promise<void> {
    await Promise.all([this.client.close(), this.wallet.close()]);
  }

  /** Loads the node's wallet unless it is loaded (litecoind 0.21 loads none at start unless told to). */
  async #ensureWallet(): Promise<void> {
    if (this.#walletReady) return;
    const loaded = await this.client.call('listwallets', [], z.array(z.string()));
    if (!loaded.includes(this.walletName)) {
      const [load] = await this.client.batch([{ method: 'loadwallet', params: [this.walletName], schema: z.unknown() }] as const);
      if (!load.ok) {
        throw new WalletError('VALIDATION_FAILED', `the node has no wallet ${this.walletName} to pay and mine with: ${load.rpcMessage}`, {
          details: { field: 'node-wallet' },
        });
      }
    }
    this.#walletReady = true;
  }
}
