import { type Chain, assertChain } from './chain.js';
import { invalidAddress } from './invalidAddress.js';
import { type Network, assertNetwork } from './network.js';
import { validateEthAddress } from './validateEthAddress.js';
import { validateUtxoAddress } from './validateUtxoAddress.js';

/**
 * Validates a withdrawal destination for a chain and network and returns its canonical form, the one to store
 * and compare. The input is taken as given: no trimming, no prefix added.
 * - eth: `0x` + 40 hex, single-case or a correct EIP-55 mixed case; canonical form is EIP-55.
 * - btc, ltc: P2PKH, P2SH (base58check), P2WPKH, P2WSH (bech32) and P2TR (bech32m) of that network only;
 *   canonical form is lower-case bech32, or base58check (LTC legacy `3`/`2` P2SH re-encoded as `M`/`Q`).
 * @param chain eth, btc or ltc
 * @param network mainnet, testnet or regtest
 * @param address the address as the user gave it
 * @returns the canonical address
 * @throws WalletError INVALID_ADDRESS with `details.reason` one of AddressRejection (FORMAT, CHECKSUM, NETWORK, ...)
 * @throws WalletError UNSUPPORTED_CHAIN
 */
export function validateAddress(chain: Chain, network: Network, address: string): string {
  assertChain(chain);
  assertNetwork(network);
  if (typeof address !== 'string') throw invalidAddress(chain, network, 'FORMAT', 'Address must be a string');
  return chain === 'eth' ? validateEthAddress(network, address) : validateUtxoAddress(chain, network, address);
}
