import { type HDKey } from '@scure/bip32';
import { WalletError } from '@wallet/errors';
import { assertAddressIndex } from './assertAddressIndex.js';
import { type Chain, assertChain } from './chain.js';
import { type Network, assertNetwork } from './network.js';
import { parseAccountXpub } from './parseAccountXpub.js';
import { encodeAddress } from './publicKeyToAddress.js';

/** What {@link deriveAddress} takes. */
export type DeriveAddressParams = {
  chain: Chain;
  network: Network;
  /** The account-level extended public key (depth 3, e.g. at m/84'/0'/0'); never a private key. */
  xpub: string;
  /** Address index on the external chain, an integer in [0, 2^31). */
  index: number;
};

// accountsrv derives from a handful of configured account keys, so a small cache holds them all; the bound only
// keeps a caller that passes arbitrary keys from growing it without limit. Oldest entry out first.
const MAX_CACHED_ACCOUNTS = 64;

// account key -> its external chain node (account/0): parsing, validating and deriving `0` happen once per key,
// so an address costs one non-hardened child derivation.
const externalChains = new Map<string, HDKey>();

// BIP32 skips an index whose tweak is out of range (odds about 2^-127) and @scure/bip32 then returns the next
// index: that would hand two users the same address, so refuse rather than follow.
function skippedIndex(chain: Chain, network: Network, index: number | 'external chain'): WalletError<'INTERNAL'> {
  return new WalletError('INTERNAL', 'BIP32 child key is invalid at this index', { details: { chain, network, index } });
}

function externalChain(chain: Chain, network: Network, xpub: string): HDKey {
  // Chain and network are part of the key: which versions are accepted, and the address encoding, depend on them.
  const cacheKey = `${chain}:${network}:${xpub}`;
  const cached = externalChains.get(cacheKey);
  if (cached !== undefined) return cached;
  const external = parseAccountXpub({ chain, network, xpub }).deriveChild(0);
  if (external.index !== 0) throw skippedIndex(chain, network, 'external chain');
  if (externalChains.size >= MAX_CACHED_ACCOUNTS) {
    const oldest = externalChains.keys().next();
    if (oldest.done !== true) externalChains.delete(oldest.value);
  }
  externalChains.set(cacheKey, external);
  return external;
}

/**
 * The deposit address at `index` of an account: `m/.../account'/0/index` derived from the account's extended
 * public key (see {@link derivationPath} for the full path).
 * @param params.chain eth, btc or ltc
 * @param params.network mainnet, testnet or regtest
 * @param params.xpub account-level extended public key; a private key is refused
 * @param params.index address index, an integer in [0, 2^31)
 * @returns the address in canonical form: EIP-55 for eth, lower-case bech32 P2WPKH for btc and ltc
 * @throws WalletError VALIDATION_FAILED for a bad index or account key (details.reason says which)
 * @throws WalletError UNSUPPORTED_CHAIN
 */
export function deriveAddress(params: DeriveAddressParams): string {
  const { chain, network, xpub, index } = params;
  assertChain(chain);
  assertNetwork(network);
  assertAddressIndex(index);
  const child = externalChain(chain, network, xpub).deriveChild(index);
  if (child.index !== index || child.publicKey === null) throw skippedIndex(chain, network, index);
  return encodeAddress(chain, network, child.publicKey);
}
