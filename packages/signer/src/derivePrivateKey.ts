import { HDKey } from '@scure/bip32';
import { WalletError } from '@wallet/errors';

const HARDENED_OFFSET = 0x80000000;
const PATH = /^m(?:\/\d{1,10}'?)*$/;

/**
 * Parses a BIP32 path such as `m/44'/60'/1'/0/0` (`'` marks a hardened step) into child indexes.
 * @param path the path
 * @returns child indexes, hardened ones offset by 2^31
 * @throws WalletError VALIDATION_FAILED for a malformed path, an index of 2^31 or more, or more than 255 steps
 */
function parseDerivationPath(path: string): number[] {
  const invalid = (reason: string) => new WalletError('VALIDATION_FAILED', `invalid derivation path: ${reason}`, { details: { path } });
  if (typeof path !== 'string' || !PATH.test(path)) throw invalid("expected m/<index>['] ...");
  const indexes = path
    .split('/')
    .slice(1)
    .map((step) => {
      const hardened = step.endsWith("'");
      const index = Number(hardened ? step.slice(0, -1) : step);
      if (index >= HARDENED_OFFSET) throw invalid('an index is 2^31 or more');
      return hardened ? index + HARDENED_OFFSET : index;
    });
  // BIP32 serialises the depth in one byte.
  if (indexes.length > 255) throw invalid('deeper than 255');
  return indexes;
}

/**
 * Derives the private key at `path` from a BIP32 seed, zeroing every intermediate private key on the way (HDKey's own
 * `derive` leaves them to the garbage collector). The caller zeroes the returned key when done.
 * @param seed BIP32 seed (the BIP39 seed)
 * @param path e.g. `m/44'/60'/1'/0/0`
 * @returns the 32-byte private key
 * @throws WalletError VALIDATION_FAILED for a bad path
 */
export function derivePrivateKey(seed: Uint8Array, path: string): Uint8Array {
  const { privateKey, chainCode } = deriveKey(seed, path);
  chainCode.fill(0);
  return privateKey;
}

/**
 * {@link derivePrivateKey} with the node's chain code too (for signers that derive children of the node). The caller
 * zeroes both when done.
 * @returns the node's private key and chain code (the caller's own copies)
 * @throws WalletError VALIDATION_FAILED for a bad path
 */
export function deriveKey(seed: Uint8Array, path: string): { privateKey: Uint8Array; chainCode: Uint8Array } {
  const indexes = parseDerivationPath(path);
  let node = HDKey.fromMasterSeed(seed);
  try {
    for (const index of indexes) {
      const child = node.deriveChild(index);
      node.wipePrivateData();
      node = child;
    }
    // Both getters return fresh copies, which become the caller's.
    const privateKey = node.privateKey;
    const chainCode = node.chainCode;
    if (privateKey === null || chainCode === null) throw new WalletError('INTERNAL', 'derived node has no private key');
    return { privateKey, chainCode };
  } finally {
    node.wipePrivateData();
  }
}
