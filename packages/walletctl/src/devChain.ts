import type { AssetRegistry, AssetSpec, ChainSpec } from '@wallet/assets';
import { type JsonRpcClient } from '@wallet/chains';
import { WalletError } from '@wallet/errors';
import type { z } from 'zod';

/** A transaction `walletctl dev fund` sent. */
export type DevFunding = {
  readonly txid: string;
  /** Who paid: the node's account (EVM) or its wallet (UTXO). */
  readonly from: string;
  /** The block that holds it when the node mined it at once (anvil mines each transaction); null: in the mempool. */
  readonly blockNumber: number | null;
};

/** Where a transaction is on the node's chain. */
export type DevTxPosition = {
  /** null: in the node's mempool. */
  readonly blockNumber: number | null;
  /** As the node counts them: its block is the first (0 in the mempool). */
  readonly confirmations: number;
};

/**
 * A development chain node that `walletctl dev` may pay from and mine on, opened only after it showed it is one (see
 * {@link openDevChain}). One implementation per chain family.
 */
export interface DevChain {
  readonly spec: ChainSpec;
  /** What the node showed it is, for the output: `anvil/v1.7.1, chain id 31337`, `regtest node, wallet miner`. */
  readonly node: string;
  /**
   * Pays `amount` base units of `asset` to `to` from the node's funded account or wallet.
   * @throws WalletError INVALID_ADDRESS, VALIDATION_FAILED (the payer cannot pay it), UNAVAILABLE
   */
  fund(to: string, asset: AssetSpec, amount: bigint): Promise<DevFunding>;
  /** Mines `blocks` blocks. @returns the new height */
  mine(blocks: number): Promise<number>;
  height(): Promise<number>;
  /** @returns null when the node does not know the transaction */
  transaction(txid: string): Promise<DevTxPosition | null>;
  close(): Promise<void>;
}

/** How the node pays: `from` an EVM account it holds unlocked, or with the UTXO node's wallet `nodeWallet`. */
export type DevChainOptions = { readonly from?: string | undefined; readonly nodeWallet?: string | undefined };

/** Opens one family's dev chain; throws {@link notDevChain} when the node is not one. */
export type DevChainOpener = (spec: ChainSpec, rpcUrl: string, options: DevChainOptions) => Promise<DevChain>;

/**
 * The chain `chainId` of the registry on its node, once it showed it is a development chain: the registry must call it
 * a `regtest` network, and the family's check of the node itself must pass (an EVM node's chain id, a UTXO node's
 * network). Nothing is sent before that.
 * @param openers the family implementations, by chain kind
 * @throws WalletError UNSUPPORTED_CHAIN (not in the registry), VALIDATION_FAILED (no node URL), FORBIDDEN (not a dev
 *   chain: `details.reason` `not_a_dev_chain`)
 */
export async function openDevChain(
  registry: AssetRegistry,
  chainId: string,
  rpcUrls: Readonly<Record<string, string>>,
  options: DevChainOptions,
  openers: Readonly<Record<ChainSpec['kind'], DevChainOpener>>,
): Promise<DevChain> {
  const spec = registry.chain(chainId);
  const url = rpcUrls[chainId];
  if (url === undefined) {
    throw new WalletError(
      'VALIDATION_FAILED',
      `chain ${chainId} has no node in WALLET_CHAIN_RPC (it lists ${Object.keys(rpcUrls).join(', ')})`,
      {
        details: { field: 'chain', chain: chainId },
      },
    );
  }
  if (spec.network !== 'regtest') {
    throw notDevChain(chainId, `WALLET_ASSETS lists chain ${chainId} as a ${spec.network} network`);
  }
  return openers[spec.kind](spec, url, options);
}

/** The refusal of a chain that is not a development chain, saying why. */
export function notDevChain(chainId: string, why: string): WalletError {
  return new WalletError('FORBIDDEN', `${why}: walletctl dev pays and mines only on a local development chain`, {
    details: { reason: 'not_a_dev_chain', chain: chainId },
  });
}

/**
 * One JSON-RPC call whose refusal is the caller's to explain: the node's own message is put in the error's message
 * (JsonRpcClient keeps it in the details), since at a terminal it is what says what went wrong.
 * @throws WalletError UNAVAILABLE (`details.rpcCode`), TIMEOUT, INTERNAL
 */
export async function callExplained<T>(
  client: JsonRpcClient,
  method: string,
  params: readonly unknown[],
  schema: z.ZodType<T>,
): Promise<T> {
  const [outcome] = await client.batch([{ method, params, schema }] as const);
  if (outcome.ok) return outcome.value;
  throw new WalletError('UNAVAILABLE', `${method}: the node refused: ${outcome.rpcMessage}`, {
    details: { method, rpcCode: outcome.rpcCode, rpcMessage: outcome.rpcMessage },
    cause: outcome.error,
  });
}
