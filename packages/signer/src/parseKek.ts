import { WalletError } from '@wallet/errors';

/**
 * Parses the key-encryption key of the keystore from configuration (e.g. an environment variable filled from a
 * secrets manager).
 * @param hex 64 hex characters (32 bytes), either case, no `0x`
 * @returns the 32-byte KEK
 * @throws WalletError CONFIG_INVALID, without echoing the value (a near-miss is still most of a key)
 */
export function parseKek(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new WalletError('CONFIG_INVALID', 'KEK must be 64 hex characters (32 bytes)');
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
