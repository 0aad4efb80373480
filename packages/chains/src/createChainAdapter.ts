import type { AssetSpec, ChainSpec } from '@wallet/assets';
import type { ChainAdapter } from './ChainAdapter.js';
import { createEvmAdapter } from './EvmAdapter.js';
import { type UtxoFeePolicy, createUtxoAdapter } from './utxo/UtxoAdapter.js';

/** What {@link createChainAdapter} takes: one chain of the registry and how to reach its node. */
export type ChainAdapterSpec = {
  readonly chain: ChainSpec;
  /** The registry's assets of this chain. */
  readonly assets: readonly AssetSpec[];
  /** The node's JSON-RPC URL (`user:password@` in it becomes basic authentication). */
  readonly rpcUrl: string;
  /** EVM: WebSocket URL for new-head subscriptions; ignored by UTXO chains (they long-poll `waitfornewblock`). */
  readonly wsUrl?: string;
  /** Told about subscription connection problems. */
  readonly onWatchError?: (error: Error) => void;
  /** UTXO: how the fee rate of payouts is picked (confirmation target, fallback, maximum). */
  readonly utxoFees?: Partial<UtxoFeePolicy>;
};

/**
 * The adapter of a chain, chosen by its kind (EVM, UTXO): the one place that knows the families apart. Checks the
 * node serves the configured chain before returning.
 * @throws WalletError CONFIG_INVALID (bad configuration, node on another chain), UNAVAILABLE (node unreachable)
 */
export async function createChainAdapter(spec: ChainAdapterSpec): Promise<ChainAdapter> {
  const { chain, assets, rpcUrl } = spec;
  switch (chain.kind) {
    case 'evm':
      return createEvmAdapter({
        chain,
        assets,
        rpcUrl,
        ...(spec.wsUrl === undefined ? {} : { wsUrl: spec.wsUrl }),
        ...(spec.onWatchError === undefined ? {} : { onWatchError: spec.onWatchError }),
      });
    case 'utxo':
      return createUtxoAdapter({ chain, assets, rpcUrl, ...(spec.utxoFees === undefined ? {} : { fees: spec.utxoFees }) });
  }
}
