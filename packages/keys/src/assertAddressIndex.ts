import { WalletError } from '@wallet/errors';

/** The first hardened BIP32 index: address indexes are non-hardened, so they stay below it. */
export const HARDENED_OFFSET = 0x80000000;

/**
 * Throws unless `index` is a valid non-hardened BIP32 child index: an integer in [0, 2^31).
 * @param index the address index of a derivation path
 * @throws WalletError VALIDATION_FAILED
 */
export function assertAddressIndex(index: unknown): asserts index is number {
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= HARDENED_OFFSET) {
    throw new WalletError('VALIDATION_FAILED', 'Address index must be an integer in [0, 2^31)', {
      details: { index: typeof index === 'number' ? index : String(index) },
    });
  }
}
