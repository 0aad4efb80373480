import { inspect, type InspectOptions } from 'node:util';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { WalletError } from '@wallet/errors';
import { Transaction, computeAddress, getBytes, hexlify, keccak256 } from 'ethers';
import { SignatureVerifier } from './SignatureVerifier.js';
import { type Eip1559Tx, Eip1559TxSchema, type SignedEvmTransaction } from './eip1559Tx.js';
import { parseInput } from './parseInput.js';
import type { Signer, SignerBackend } from './Signer.js';
import { signDigest } from './signDigest.js';

/** A {@link Signer} of EIP-1559 transactions, with the address its signatures recover to. */
export interface EvmSigner extends Signer<Eip1559Tx, SignedEvmTransaction> {
  /** EIP-55 checksummed address of the key: the sender of everything it signs. */
  readonly address: string;
}

/**
 * One EVM account's private key and the only way to use it: signing transactions. The key sits in a private field;
 * `JSON.stringify`, `util.inspect` (console.log, loggers) show the address and path only.
 */
export class EvmHotWallet implements EvmSigner {
  readonly #privateKey: Uint8Array;
  /** Checks each signature against this key before it is released. */
  readonly #verifier: SignatureVerifier;
  #wiped = false;
  /** EIP-55 checksummed address of the key. */
  readonly address: string;
  /** The BIP32 path the key was derived at, for audit logs (a label only: nothing is derived from it here). */
  readonly path: string;

  /**
   * Usually made by {@link SeedVault.signer} with {@link evmSigner}. The key is copied: the caller should zero its own copy.
   * @param privateKey 32-byte secp256k1 secret key
   * @param path where the key comes from, e.g. `m/44'/60'/1'/0/0`
   * @throws WalletError VALIDATION_FAILED when the key is not a valid secp256k1 secret key (it is not echoed)
   */
  constructor(privateKey: Uint8Array, path: string) {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
      throw new WalletError('VALIDATION_FAILED', 'private key must be a valid 32-byte secp256k1 secret key');
    }
    if (typeof path !== 'string') throw new WalletError('VALIDATION_FAILED', 'path must be a string');
    this.#privateKey = Uint8Array.from(privateKey);
    const publicKey = secp256k1.getPublicKey(this.#privateKey, false);
    this.address = computeAddress(hexlify(publicKey));
    this.#verifier = new SignatureVerifier(publicKey);
    this.path = path;
  }

  /**
   * Signs an EIP-1559 (type 2) transaction. Deterministic (RFC 6979): the same transaction gives the same bytes,
   * so a retried request re-broadcasts the identical transaction instead of a conflicting one.
   * @param tx the transaction; see {@link Eip1559Tx}
   * @returns the serialized signed transaction and its hash
   * @throws WalletError VALIDATION_FAILED for a bad field (`details.issues`), INTERNAL if the wallet was wiped or the
   * signature does not verify
   */
  signEip1559(tx: Eip1559Tx): SignedEvmTransaction {
    this.#assertUsable();
    const fields = parseInput(Eip1559TxSchema, tx, 'EIP-1559 transaction');
    const transaction = Transaction.from({ type: 2, ...fields, accessList: [] });
    const digest = getBytes(transaction.unsignedHash);
    const signature = signDigest(this.#privateKey, digest);
    // Verify before release: a faulty signature (hardware or library fault) is worse than none, and cheap to catch.
    // The recovery bit is checked too: with a wrong one the network would recover another sender.
    const checked = { r: BigInt(signature.r), s: BigInt(signature.s), yParity: signature.yParity };
    if (!this.#verifier.verify(digest, checked)) {
      throw new WalletError('INTERNAL', 'signature did not verify', { details: { address: this.address } });
    }
    transaction.signature = signature;
    const raw = transaction.serialized;
    return { raw, txid: keccak256(raw) };
  }

  /** {@link signEip1559}, as the {@link Signer} interface names it. */
  sign(tx: Eip1559Tx): SignedEvmTransaction {
    return this.signEip1559(tx);
  }

  /** Zeroes the key; the wallet refuses to sign afterwards. */
  wipe(): void {
    this.#privateKey.fill(0);
    this.#wiped = true;
  }

  /** @returns the public part only: JSON of the wallet never carries the key */
  toJSON(): { address: string; path: string } {
    return { address: this.address, path: this.path };
  }

  /** What `util.inspect` and `console.log` show: the public part only. */
  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `EvmHotWallet ${inspect(this.toJSON(), options)}`;
  }

  #assertUsable(): void {
    if (this.#wiped) throw new WalletError('INTERNAL', 'hot wallet key has been wiped', { details: { address: this.address } });
  }
}

/** The EVM hot wallet's backend for {@link SeedVault.signer}: an {@link EvmHotWallet} of the derived key. */
export const evmSigner: SignerBackend<EvmHotWallet> = {
  name: 'evm',
  create: (key, path) => new EvmHotWallet(key.privateKey, path),
};
