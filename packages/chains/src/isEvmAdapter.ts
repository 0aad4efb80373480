import type { ChainAdapter } from './ChainAdapter.js';
import type { EvmAdapter } from './EvmAdapter.js';

/**
 * Whether an adapter made by {@link createChainAdapter} is an EVM chain's, with the withdrawal sender's reads (nonces,
 * gas, receipts): for the EVM payout family, which takes the adapter of an EVM chain only. Decided by what the
 * adapter offers, not by `instanceof` (it must hold across package copies).
 */
export function isEvmAdapter(adapter: ChainAdapter): adapter is EvmAdapter {
  const a = adapter as Partial<EvmAdapter>;
  return typeof a.evmChainId === 'number' && typeof a.nonceOf === 'function' && typeof a.estimateGas === 'function';
}
