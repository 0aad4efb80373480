/**
 * A private key held in signsrv, and the only thing that can be done with it: signing what its backend signs. Every
 * signature is verified against the key before it is released; the key stays in a private field (`JSON.stringify`
 * and `util.inspect` show public parts only) and is zeroed by `wipe`. Keys come from the wallet's seed through
 * {@link SeedVault.signer}; payout code depends on this interface (as bitcoinjs-lib's `Signer` keeps keys out of the
 * library), never on a backend's class.
 * @typeParam Request what is signed (EVM: an EIP-1559 transaction)
 * @typeParam Signed what signing gives back (EVM: the serialized transaction and its hash)
 */
export interface Signer<Request, Signed> {
  /** The BIP32 path the key was derived at, for audit logs (a label: nothing is derived from it by the signer). */
  readonly path: string;
  /**
   * Signs. Deterministic (RFC 6979): the same request gives the same bytes.
   * @throws WalletError VALIDATION_FAILED for a bad request, INTERNAL once wiped or when a signature does not verify
   */
  sign(request: Request): Signed;
  /** Zeroes the key; `sign` refuses afterwards. */
  wipe(): void;
}

/** A BIP32 node's private parts, as {@link SeedVault.signer} hands them to a backend (which copies what it keeps). */
export type DerivedKey = {
  /** The 32-byte secp256k1 private key. */
  readonly privateKey: Uint8Array;
  /** The node's chain code: lets an account-level signer derive its children (PSBT inputs at `.../0/i`, `.../1/i`). */
  readonly chainCode: Uint8Array;
};

/** How one kind of signer is made from a derived key: the vault zeroes its copy of `key` once `create` returns. */
export type SignerBackend<S> = {
  /** For logs: `evm`, `psbt`. */
  readonly name: string;
  create(key: DerivedKey, path: string): S;
};
