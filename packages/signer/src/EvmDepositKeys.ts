import { inspect, type InspectOptions } from 'node:util';
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { WalletError } from '@wallet/errors';
import { assertAddressIndex } from '@wallet/keys';
import type { Eip1559Tx, SignedEvmTransaction } from './eip1559Tx.js';
import { EvmHotWallet } from './EvmHotWallet.js';
import type { DerivedKey, SignerBackend } from './Signer.js';

/** What {@link EvmDepositKeys.sign} signs: an EIP-1559 transaction from the deposit address at `index`. */
export type DepositSignRequest = { readonly index: number; readonly tx: Eip1559Tx };

/**
 * The EVM deposit account's key (`m/44'/60'/0'`, the node whose extended public key accountsrv derives deposit
 * addresses from) and the only way to use it: signing a transaction from one of its deposit addresses
 * (`<account>/0/index`), which the sweep job needs to move what a deposit address holds to the hot wallet. Each
 * signature goes through an {@link EvmHotWallet} of the child key (verified before release), and the child key is
 * zeroed at once. The account key sits in a private field; `JSON.stringify` and `util.inspect` show the path only.
 */
export class EvmDepositKeys {
  readonly #account: HDKey;
  #wiped = false;
  /** The account's BIP32 path (a label: children are derived from the node itself). */
  readonly path: string;

  /**
   * Usually made by {@link SeedVault.signer} with {@link evmDepositSigner}. The key is copied.
   * @param key the account node's private key and chain code
   * @param path where it was derived, e.g. `m/44'/60'/0'`
   * @throws WalletError VALIDATION_FAILED when the key is not a valid secp256k1 secret key (it is not echoed)
   */
  constructor(key: DerivedKey, path: string) {
    if (!(key.privateKey instanceof Uint8Array) || !secp256k1.utils.isValidSecretKey(key.privateKey) || key.chainCode?.length !== 32) {
      throw new WalletError('VALIDATION_FAILED', 'account key must be a valid secp256k1 secret key with a 32-byte chain code');
    }
    this.#account = new HDKey({ privateKey: Uint8Array.from(key.privateKey), chainCode: Uint8Array.from(key.chainCode) });
    this.path = path;
  }

  /** The EIP-55 address of the deposit key at `index` (what accountsrv derived from the xpub for the same index). */
  address(index: number): string {
    return this.#withChild(index, (wallet) => wallet.address);
  }

  /**
   * Signs a transaction from the deposit address at `index`. Deterministic (RFC 6979): the same request gives the same
   * bytes, so a re-signed sweep is the identical transaction.
   * @returns the signed transaction and the address it is from
   * @throws WalletError VALIDATION_FAILED for a bad index or field, INTERNAL once wiped
   */
  sign(request: DepositSignRequest): SignedEvmTransaction & { readonly from: string } {
    return this.#withChild(request.index, (wallet) => ({ ...wallet.sign(request.tx), from: wallet.address }));
  }

  /** Zeroes the account key; `sign` refuses afterwards. */
  wipe(): void {
    this.#account.wipePrivateData();
    this.#wiped = true;
  }

  /** @returns the public part only */
  toJSON(): { path: string } {
    return { path: this.path };
  }

  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `EvmDepositKeys ${inspect(this.toJSON(), options)}`;
  }

  /** Runs `use` with a wallet of the child key at `<account>/0/index`, zeroing every copy of that key afterwards. */
  #withChild<T>(index: number, use: (wallet: EvmHotWallet) => T): T {
    if (this.#wiped) throw new WalletError('INTERNAL', 'deposit account key has been wiped', { details: { path: this.path } });
    assertAddressIndex(index);
    const external = this.#account.deriveChild(0);
    const child = external.deriveChild(index);
    external.wipePrivateData();
    const privateKey = child.privateKey;
    child.wipePrivateData();
    if (privateKey === null) throw new WalletError('INTERNAL', 'derived node has no private key');
    const wallet = new EvmHotWallet(privateKey, `${this.path}/0/${index}`);
    privateKey.fill(0);
    try {
      return use(wallet);
    } finally {
      wallet.wipe();
    }
  }
}

/** The EVM deposit account's backend for {@link SeedVault.signer}, at `accountDerivationPath('eth', network)`. */
export const evmDepositSigner: SignerBackend<EvmDepositKeys> = {
  name: 'evm-deposits',
  create: (key, path) => new EvmDepositKeys(key, path),
};
