/**
 * EVM addresses below this value are refused as destinations: the zero address (a burn: nothing could ever move the
 * funds again) and the low range that chains reserve for precompiles and system contracts: Ethereum's 0x01-0x0a
 * (0x0b-0x11 since Prague), RIP-7212's P256VERIFY at 0x100, Arbitrum's precompiles at 0x64-0xff. Nobody holds a key
 * to an address with 18 leading zero bytes, so no legitimate destination is refused.
 */
export const RESERVED_EVM_ADDRESSES_BELOW = 0x10000n;

/** Why an address can never be a withdrawal's destination on its own (whoever operates it), or null. */
export type ReservedReason = 'zero_address' | 'reserved_address';

/**
 * The static screening of an EVM destination: the zero address and the reserved low range
 * ({@link RESERVED_EVM_ADDRESSES_BELOW}).
 * @param address a valid EVM address (0x and 40 hex digits, any case)
 * @returns why it is refused, or null when it may be paid
 */
export function reservedEvmDestination(address: string): ReservedReason | null {
  const value = BigInt(address);
  if (value === 0n) return 'zero_address';
  return value < RESERVED_EVM_ADDRESSES_BELOW ? 'reserved_address' : null;
}
