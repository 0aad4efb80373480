import type { AssetRegistry } from '@wallet/assets';
import { chainFamily } from '@wallet/chains';

/**
 * The chains whose withdrawals transrv accepts, by the rule transrv applies: a node is configured for the chain (its
 * WALLET_CHAIN_RPC, the variable transrv's payoutChains come from: settlement needs the scanner's view of the chain,
 * and signsrv the node to pay with) and the chain's family pays out (chainFamily().payouts, which
 * checkWithdrawalRequest asks).
 * @param chainsWithNode the keys of WALLET_CHAIN_RPC
 */
export function payoutChains(registry: AssetRegistry, chainsWithNode: readonly string[]): ReadonlySet<string> {
  return new Set(chainsWithNode.filter((id) => registry.chains.has(id) && chainFamily(registry.chain(id)).payouts));
}
