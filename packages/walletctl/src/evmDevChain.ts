import type { AssetSpec, ChainSpec } from '@wallet/assets';
import { JsonRpcClient } from '@wallet/chains';
import { WalletError } from '@wallet/errors';
import { validateAddress } from '@wallet/keys';
import { z } from 'zod';
import { type DevChain, type DevChainOptions, type DevFunding, type DevTxPosition, callExplained, notDevChain } from './devChain.js';
import { formatDecimalAmount } from './decimalAmount.js';

const Quantity = z
  .string()
  .regex(/^0x[0-9a-fA-F]{1,64}$/)
  .transform((hex) => BigInt(hex));
const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/);
const Hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
const Data = z.string().regex(/^0x(?:[0-9a-fA-F]{2})*$/);
const Receipt = z.object({ status: Quantity, blockNumber: Quantity }).passthrough().nullable();
const Transaction = z.object({ blockNumber: Quantity.nullable() }).passthrough().nullable();

/**
 * Chain ids of public networks, their mainnets and public test networks (chainlist.org). A node that answers one of
 * them is not a local development chain, whatever the registry says of it: an anvil forked from mainnet keeps chain
 * id 1, and a misconfigured URL may reach a real node.
 */
const publicChains: ReadonlyMap<bigint, string> = new Map([
  [1n, 'Ethereum mainnet'],
  [5n, 'Goerli'],
  [10n, 'OP Mainnet'],
  [56n, 'BNB Smart Chain'],
  [97n, 'BNB Smart Chain testnet'],
  [100n, 'Gnosis'],
  [137n, 'Polygon PoS'],
  [250n, 'Fantom'],
  [324n, 'zkSync Era'],
  [1101n, 'Polygon zkEVM'],
  [8453n, 'Base'],
  [17000n, 'Holesky'],
  [42161n, 'Arbitrum One'],
  [42220n, 'Celo'],
  [43114n, 'Avalanche C-Chain'],
  [59144n, 'Linea'],
  [80002n, 'Polygon Amoy'],
  [84532n, 'Base Sepolia'],
  [421614n, 'Arbitrum Sepolia'],
  [534352n, 'Scroll'],
  [560048n, 'Hoodi'],
  [11155111n, 'Sepolia'],
  [11155420n, 'OP Sepolia'],
]);

/** `web3_clientVersion` of the development nodes: `anvil/v1.7.1`, `HardhatNetwork/2.22.0/...`, `Ganache/v7.9.1/...`. */
const devClient = /^(anvil|HardhatNetwork|Ganache)\//i;

// ERC20 selectors: balanceOf(address), transfer(address,uint256)
const BALANCE_OF = '0x70a08231';
const TRANSFER = '0xa9059cbb';
const word = (value: bigint | string): string => BigInt(value).toString(16).padStart(64, '0');

// JSON-RPC "method not found": a node without anvil_mine (Ganache) mines one block per evm_mine.
const METHOD_NOT_FOUND = -32601;

/**
 * An EVM development node (anvil, Hardhat, Ganache), opened only after it showed it is one: its chain id is not a
 * public network's and is the registry's, and its client says it is a development node. It pays from an account it
 * holds unlocked (`eth_sendTransaction`: no key is handled here), by default its last one (anvil: dev account 9, 10,000
 * ETH at start; the repository's tests pay from account 0, so the two never race for a nonce).
 * @throws WalletError FORBIDDEN (not a dev chain), VALIDATION_FAILED (`from` is not an account of the node)
 */
export async function openEvmDevChain(spec: ChainSpec, rpcUrl: string, options: DevChainOptions): Promise<DevChain> {
  const client = new JsonRpcClient({ url: rpcUrl, connections: 1 });
  try {
    const [chainId, version] = await client.batch([
      { method: 'eth_chainId', params: [], schema: Quantity },
      { method: 'web3_clientVersion', params: [], schema: z.string() },
    ] as const);
    if (!chainId.ok) throw chainId.error;
    const host = new URL(rpcUrl).host;
    const publicName = publicChains.get(chainId.value);
    if (publicName !== undefined) {
      throw notDevChain(spec.id, `the node at ${host} reports chain id ${chainId.value} (${publicName})`);
    }
    if (spec.evmChainId !== undefined && BigInt(spec.evmChainId) !== chainId.value) {
      throw notDevChain(
        spec.id,
        `the node at ${host} reports chain id ${chainId.value}, but WALLET_ASSETS says chain ${spec.id} is ${spec.evmChainId}`,
      );
    }
    const clientVersion = version.ok ? version.value : 'a node without web3_clientVersion';
    if (!devClient.test(clientVersion)) {
      throw notDevChain(
        spec.id,
        `the node at ${host} is ${JSON.stringify(clientVersion.slice(0, 80))}, not a development node (anvil, Hardhat, Ganache)`,
      );
    }
    const accounts = await client.call('eth_accounts', [], z.array(Address));
    const from = options.from === undefined ? accounts.at(-1) : accounts.find((a) => a.toLowerCase() === options.from!.toLowerCase());
    if (from === undefined) {
      throw new WalletError(
        'VALIDATION_FAILED',
        options.from === undefined
          ? `the node at ${host} holds no unlocked account to pay from`
          : `--from ${options.from} is not an account the node at ${host} holds unlocked (${accounts.length} are)`,
        { details: { field: 'from' } },
      );
    }
    const payer = validateAddress('eth', 'regtest', from);
    return new EvmDevChain(spec, client, `${clientVersion.split('/').slice(0, 2).join('/')}, chain id ${chainId.value}`, payer);
  } catch (error) {
    await client.close();
    throw error;
  }
}

class EvmDevChain implements DevChain {
  constructor(
    readonly spec: ChainSpec,
    private readonly client: JsonRpcClient,
    readonly node: string,
    private readonly from: string,
  ) {}

  async fund(to: string, asset: AssetSpec, amount: bigint): Promise<DevFunding> {
    const destination = validateAddress('eth', 'regtest', to);
    const latest = 'latest';
    let request: { from: string; to: string; value?: string; data?: string };
    if (asset.contract === undefined) {
      const balance = await this.client.call('eth_getBalance', [this.from, latest], Quantity);
      if (balance < amount) throw this.#short(asset, balance, amount);
      request = { from: this.from, to: destination, value: `0x${amount.toString(16)}` };
    } else {
      const code = await this.client.call('eth_getCode', [asset.contract, latest], Data);
      if (code === '0x') {
        throw new WalletError(
          'VALIDATION_FAILED',
          `${asset.id}: no contract at ${asset.contract} on chain ${this.spec.id} (WALLET_ASSETS)`,
          {
            details: { field: 'asset', asset: asset.id },
          },
        );
      }
      const held = await this.client.call('eth_call', [{ to: asset.contract, data: `${BALANCE_OF}${word(this.from)}` }, latest], Data);
      const balance = held === '0x' ? 0n : BigInt(held.slice(0, 66));
      if (balance < amount) throw this.#short(asset, balance, amount);
      request = { from: this.from, to: asset.contract, data: `${TRANSFER}${word(destination)}${word(amount)}` };
    }
    const txid = await callExplained(this.client, 'eth_sendTransaction', [request], Hash);
    // anvil mines each transaction as it arrives; a node that mines on a timer has it in a block soon after.
    for (const deadline = Date.now() + 5_000; ;) {
      const receipt = await this.client.call('eth_getTransactionReceipt', [txid], Receipt);
      if (receipt !== null) {
        if (receipt.status !== 1n) {
          throw new WalletError('VALIDATION_FAILED', `${txid} reverted in block ${receipt.blockNumber}: nothing was paid`, {
            details: { txid },
          });
        }
        return { txid, from: this.from, blockNumber: Number(receipt.blockNumber) };
      }
      if (Date.now() > deadline) return { txid, from: this.from, blockNumber: null };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async mine(blocks: number): Promise<number> {
    const [mined] = await this.client.batch([{ method: 'anvil_mine', params: [`0x${blocks.toString(16)}`], schema: z.unknown() }] as const);
    if (!mined.ok) {
      if (mined.rpcCode !== METHOD_NOT_FOUND) throw mined.error;
      for (let i = 0; i < blocks; i++) await this.client.call('evm_mine', [], z.unknown());
    }
    return this.height();
  }

  async height(): Promise<number> {
    return Number(await this.client.call('eth_blockNumber', [], Quantity));
  }

  async transaction(txid: string): Promise<DevTxPosition | null> {
    if (!Hash.safeParse(txid).success) return null;
    const [tx, head] = await Promise.all([this.client.call('eth_getTransactionByHash', [txid], Transaction), this.height()]);
    if (tx === null) return null;
    if (tx.blockNumber === null) return { blockNumber: null, confirmations: 0 };
    const block = Number(tx.blockNumber);
    return { blockNumber: block, confirmations: Math.max(0, head - block + 1) };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  #short(asset: AssetSpec, balance: bigint, amount: bigint): WalletError {
    return new WalletError(
      'VALIDATION_FAILED',
      `${this.from} holds ${formatDecimalAmount(balance, asset.decimals)} ${asset.id} on chain ${this.spec.id}, less than the ${formatDecimalAmount(amount, asset.decimals)} asked`,
      { details: { field: 'amount', asset: asset.id } },
    );
  }
}
