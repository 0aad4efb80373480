import { HDKey } from '@scure/bip32';
import { WalletError } from '@wallet/errors';
import { type Chain, assertChain } from './chain.js';
import { accountDerivationPath } from './derivationPath.js';
import { emittedXpubVersion, extendedKeyVersions } from './extendedKeyVersions.js';
import { type Network, assertNetwork } from './network.js';

/** What {@link accountXpubFromSeed} takes. */
export type AccountXpubFromSeedParams = {
  chain: Chain;
  network: Network;
  /** The 64-byte BIP39 seed (not the entropy); the caller zeroes it. */
  seed: Uint8Array;
};

/**
 * Derives the account extended public key that accountsrv is configured with (`m/44'/60'/0'` for eth,
 * `m/84'/coin'/0'` for btc and ltc) from a BIP39 seed: the one derivation behind {@link accountXpubFromMnemonic} (dev
 * tooling) and the key holder's SeedVault (signsrv's keystore tool). The private nodes are wiped after use, as far as
 * JavaScript allows.
 * @param params.chain eth, btc or ltc
 * @param params.network mainnet, testnet or regtest (btc and ltc use coin type 1' off mainnet)
 * @param params.seed the 64-byte BIP39 seed
 * @returns the account xpub: xpub for eth, zpub (mainnet) or vpub (testnet, regtest) for btc and ltc
 * @throws WalletError UNSUPPORTED_CHAIN, VALIDATION_FAILED for an unknown network or a seed that is not 64 bytes
 */
export function accountXpubFromSeed(params: AccountXpubFromSeedParams): string {
  const { chain, network, seed } = params;
  assertChain(chain);
  assertNetwork(network);
  if (!(seed instanceof Uint8Array) || seed.length !== 64) {
    throw new WalletError('VALIDATION_FAILED', 'BIP39 seed must be 64 bytes', { details: { reason: 'SEED' } });
  }
  const master = HDKey.fromMasterSeed(seed, extendedKeyVersions[emittedXpubVersion(chain, network)]);
  const account = master.derive(accountDerivationPath(chain, network));
  try {
    return account.publicExtendedKey;
  } finally {
    master.wipePrivateData();
    account.wipePrivateData();
  }
}
