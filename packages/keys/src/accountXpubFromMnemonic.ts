import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { WalletError } from '@wallet/errors';
import { accountXpubFromSeed } from './accountXpubFromSeed.js';
import { type Chain, assertChain } from './chain.js';
import { type Network, assertNetwork } from './network.js';

/** What {@link accountXpubFromMnemonic} takes. */
export type AccountXpubFromMnemonicParams = {
  chain: Chain;
  network: Network;
  /** BIP39 English mnemonic, words separated by single spaces. */
  mnemonic: string;
  /**
   * BIP39 passphrase (the "25th word").
   * @default ''
   */
  passphrase?: string;
};

/**
 * DEV AND TEST TOOLING ONLY: turns a BIP39 mnemonic into the account extended public key that accountsrv is
 * configured with (`m/44'/60'/0'` for eth, `m/84'/coin'/0'` for btc and ltc). accountsrv must never call it: it
 * holds no mnemonic and no private key, only the xpub this returns; in production the xpub comes from signsrv's
 * key ceremony (`pnpm signsrv:keystore`). The seed and private nodes are wiped after use, as far as JavaScript allows.
 * @param params.chain eth, btc or ltc
 * @param params.network mainnet, testnet or regtest (btc and ltc use coin type 1' off mainnet)
 * @param params.mnemonic BIP39 English mnemonic
 * @param params.passphrase BIP39 passphrase, '' by default
 * @returns the account xpub: xpub for eth, zpub (mainnet) or vpub (testnet, regtest) for btc and ltc
 * @throws WalletError VALIDATION_FAILED for an invalid mnemonic (never echoed in the error)
 */
export function accountXpubFromMnemonic(params: AccountXpubFromMnemonicParams): string {
  const { chain, network, mnemonic, passphrase = '' } = params;
  assertChain(chain);
  assertNetwork(network);
  if (typeof mnemonic !== 'string' || !validateMnemonic(mnemonic, wordlist)) {
    throw new WalletError('VALIDATION_FAILED', 'Invalid BIP39 mnemonic', { details: { reason: 'MNEMONIC' } });
  }
  if (typeof passphrase !== 'string') {
    throw new WalletError('VALIDATION_FAILED', 'BIP39 passphrase must be a string', { details: { reason: 'PASSPHRASE' } });
  }
  const seed = mnemonicToSeedSync(mnemonic, passphrase);
  try {
    return accountXpubFromSeed({ chain, network, seed });
  } finally {
    seed.fill(0);
  }
}
