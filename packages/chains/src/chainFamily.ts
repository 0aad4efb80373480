import type { AssetRegistry, ChainKind, ChainSpec } from '@wallet/assets';
import { canonicalEvmAddress, canonicalUtxoAddress } from './canonicalAddress.js';
import { type ReservedReason, reservedEvmDestination } from './reservedEvmDestination.js';

/**
 * What the services may know of a chain's family without a node: the static half of the family seam, whose other
 * half is {@link createChainAdapter} (and, in signsrv, the payout family). transrv asks it before it accepts a
 * withdrawal, signsrv before it pays one, so neither branches on a chain's kind.
 */
export type ChainFamily = {
  readonly kind: ChainKind;
  /**
   * Whether withdrawals are paid on chains of this family (signsrv has a payout family for it). Requests for the
   * others are refused before anything is frozen.
   */
  readonly payouts: boolean;
  /**
   * Destinations of this family nobody can hold a key to (EVM: the zero address and the precompile range), refused
   * whoever asks.
   * @param address valid for the chain, in its canonical form
   * @returns why it is refused, or null
   */
  reservedDestination(address: string): ReservedReason | null;
  /**
   * The one form every answer shows an address of this family in (EVM: EIP-55; UTXO: lower-case bech32 or bech32m,
   * base58check as it is), whatever form it was stored or seen in (a node reports EVM addresses in lower case).
   * @param address an address the wallet stored or saw; what has none of the family's shapes is returned unchanged
   */
  canonicalAddress(address: string): string;
};

const families: Readonly<Record<ChainKind, ChainFamily>> = {
  evm: { kind: 'evm', payouts: true, reservedDestination: reservedEvmDestination, canonicalAddress: canonicalEvmAddress },
  // Every script a valid address decodes to can be spent by someone: nothing is reserved.
  utxo: { kind: 'utxo', payouts: true, reservedDestination: () => null, canonicalAddress: canonicalUtxoAddress },
};

/**
 * The family of a registry chain.
 * @param chain a chain of the asset registry (only its kind is read)
 */
export function chainFamily(chain: Pick<ChainSpec, 'kind'>): ChainFamily {
  return families[chain.kind];
}

/**
 * The chains whose withdrawals this deployment accepts: those with a node configured (the keys of WALLET_CHAIN_RPC:
 * settlement needs the scanner's view of the chain, and signsrv the node to pay with) whose family pays out. transrv
 * refuses requests for the others before anything is frozen; accountsrv reports the same set in GET /v1/assets.
 * @param chainsWithNode the keys of WALLET_CHAIN_RPC
 */
export function payoutChains(registry: AssetRegistry, chainsWithNode: readonly string[]): ReadonlySet<string> {
  return new Set(chainsWithNode.filter((id) => registry.chains.has(id) && chainFamily(registry.chain(id)).payouts));
}
