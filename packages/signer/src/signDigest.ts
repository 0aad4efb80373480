import { secp256k1 } from '@noble/curves/secp256k1.js';
import { WalletError } from '@wallet/errors';
import { Signature, hexlify } from 'ethers';

/**
 * The one signing primitive of this package: ECDSA over secp256k1 of a 32-byte digest (already keccak-256 hashed by
 * the caller, hence no prehash), with RFC 6979 deterministic nonces (no extra entropy: the same digest and key give
 * byte-identical signatures, which the start-up known-answer test relies on) and low S (EIP-2).
 * @param privateKey 32-byte secp256k1 secret key
 * @param digest 32-byte message hash
 * @returns the signature with its recovery parity
 * @throws WalletError INTERNAL for a recovery id above 1 (r >= n, probability about 2^-128)
 */
export function signDigest(privateKey: Uint8Array, digest: Uint8Array): Signature {
  // format 'recovered': recovery id (1 byte) || r (32 bytes) || s (32 bytes)
  const signature = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, extraEntropy: false, format: 'recovered' });
  const recovery = signature[0];
  if (recovery !== 0 && recovery !== 1) throw new WalletError('INTERNAL', 'signature recovery id out of range');
  return Signature.from({ r: hexlify(signature.subarray(1, 33)), s: hexlify(signature.subarray(33, 65)), yParity: recovery });
}
