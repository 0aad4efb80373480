import { WalletError } from '@wallet/errors';

/**
 * Parses the key-encryption key of the keystore from configuration (e.g. an environment variable filled from a
 * secrets manager).
 * @param hex 64 hex characters (32 bytes), either case, no `0x`
 * @returns the 32-byte KEK, in an ArrayBuffer of its own: the caller zeroes it (`fill(0)`) once the keystore is open
 * @throws WalletError CONFIG_INVALID, without echoing the value (a near-miss is still most of a key)
 */
export function parseKek(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new WalletError('CONFIG_INVALID', 'KEK must be 64 hex characters (32 bytes)');
  }
  // Decoded straight into memory of its own: `Buffer.from(hex, 'hex')` would put the key in Node's shared 8 KiB pool,
  // where zeroing the caller's copy leaves the pooled one behind and other buffers' views can see it.
  const kek = Buffer.alloc(32);
  kek.write(hex, 'hex');
  return new Uint8Array(kek.buffer, kek.byteOffset, kek.length);
}
