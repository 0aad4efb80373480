import { inspect, type InspectOptions } from 'node:util';
import { WalletError } from '@wallet/errors';
import { type Chain, type Network, accountXpubFromSeed } from '@wallet/keys';
import { deriveKey } from './derivePrivateKey.js';
import { masterFingerprint } from './masterFingerprint.js';
import { assertEntropy, seedFromEntropy } from './seedFromEntropy.js';
import type { DerivedKey, SignerBackend } from './Signer.js';

/**
 * Where the EVM hot wallet's key is derived: BIP44 coin type 60', account 1'. Account 0' (`m/44'/60'/0'`) is the
 * deposit addresses' account, whose extended public key accountsrv holds; the hot wallet is kept out of it so that no
 * deposit index can ever collide with it. Made with `vault.signer(evmSigner, evmHotWalletPath)`.
 */
export const evmHotWalletPath = "m/44'/60'/1'/0/0";

/**
 * The EVM deposit account (`accountDerivationPath('eth', network)` of @wallet/keys: coin type 60' on every network),
 * whose extended public key accountsrv derives deposit addresses from: the sweep job signs from them with
 * `vault.signer(evmDepositSigner, evmDepositAccountPath)`.
 */
export const evmDepositAccountPath = "m/44'/60'/0'";

/**
 * Where the EVM fee wallet's key is derived (account 2'): the wallet that tops up deposit addresses with the gas their
 * token sweeps burn. Kept apart from the hot wallet so that top-ups never share the withdrawals' nonce sequence.
 */
export const evmFeeWalletPath = "m/44'/60'/2'/0/0";

/**
 * The wallet's seed, as BIP39 entropy, opened from the keystore by {@link openKeystore}. The entropy sits in a private
 * field and never leaves: keys are derived from it on demand. `JSON.stringify` and `util.inspect` (console.log,
 * loggers) show the fingerprint only.
 */
export class SeedVault {
  readonly #entropy: Uint8Array;
  readonly #fingerprint: string;
  #wiped = false;

  /**
   * @param entropy 16 or 32 bytes of BIP39 entropy; copied, so the caller should zero its own copy
   * @throws WalletError VALIDATION_FAILED for entropy of another length (it is not echoed)
   */
  constructor(entropy: Uint8Array) {
    assertEntropy(entropy);
    this.#entropy = Uint8Array.from(entropy);
    this.#fingerprint = masterFingerprint(this.#entropy);
  }

  /** BIP32 master key fingerprint of the seed, 8 hex characters (public: lets an operator check which seed is loaded). */
  get fingerprint(): string {
    return this.#fingerprint;
  }

  /**
   * Derives the key at `path` and makes a signer of it; the seed and every intermediate key are zeroed afterwards.
   * @param backend which kind of signer (e.g. {@link evmSigner})
   * @param path BIP32 path, e.g. {@link evmHotWalletPath}
   * @returns the signer holding (its own copy of) the key at `path`
   * @throws WalletError VALIDATION_FAILED for a bad path or a key the backend refuses, INTERNAL once the vault is wiped
   */
  signer<S>(backend: SignerBackend<S>, path: string): S {
    if (this.#wiped) throw new WalletError('INTERNAL', 'seed vault has been wiped', { details: { fingerprint: this.#fingerprint } });
    const seed = seedFromEntropy(this.#entropy);
    let key: DerivedKey | undefined;
    try {
      key = deriveKey(seed, path);
      return backend.create(key, path);
    } finally {
      seed.fill(0);
      key?.privateKey.fill(0);
      key?.chainCode.fill(0);
    }
  }

  /**
   * The deposit accounts' extended public keys, as accountsrv's ACCOUNTSRV_XPUBS wants them: one per chain, at the
   * chain's account path (`m/44'/60'/0'` for EVM chains, `m/84'/coin'/0'` for btc and ltc). Public keys only; the
   * seed and every private node are zeroed afterwards.
   * @param chains the chains accountsrv derives deposit addresses on (e.g. an asset registry's chains)
   * @returns chain id -> account xpub (xpub for eth; zpub on mainnet, vpub elsewhere, for btc and ltc)
   * @throws WalletError INTERNAL once the vault is wiped; UNSUPPORTED_CHAIN or VALIDATION_FAILED for a bad chain
   */
  accountXpubs(chains: Iterable<{ readonly id: string; readonly family: Chain; readonly network: Network }>): Record<string, string> {
    if (this.#wiped) throw new WalletError('INTERNAL', 'seed vault has been wiped', { details: { fingerprint: this.#fingerprint } });
    const seed = seedFromEntropy(this.#entropy);
    try {
      const xpubs: Record<string, string> = {};
      for (const chain of chains) xpubs[chain.id] = accountXpubFromSeed({ chain: chain.family, network: chain.network, seed });
      return xpubs;
    } finally {
      seed.fill(0);
    }
  }

  /** Zeroes the entropy; the vault refuses to derive afterwards. Wallets already derived keep their own key copy. */
  wipe(): void {
    this.#entropy.fill(0);
    this.#wiped = true;
  }

  /** @returns the fingerprint only: JSON of the vault never carries the seed */
  toJSON(): { fingerprint: string } {
    return { fingerprint: this.#fingerprint };
  }

  /** What `util.inspect` and `console.log` show: the fingerprint only. */
  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `SeedVault ${inspect(this.toJSON(), options)}`;
  }
}
