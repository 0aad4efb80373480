import { describe, expect, it } from 'vitest';
import { RESERVED_EVM_ADDRESSES_BELOW, reservedEvmDestination } from './reservedEvmDestination.js';

const address = (value: bigint) => `0x${value.toString(16).padStart(40, '0')}`;

describe('reservedEvmDestination', () => {
  it('refuses the zero address', () => {
    expect(reservedEvmDestination('0x0000000000000000000000000000000000000000')).toBe('zero_address');
  });

  it.each([1n, 2n, 9n, 0x0an, 0x0bn, 0x11n, 0x64n, 0xffn, 0x100n, RESERVED_EVM_ADDRESSES_BELOW - 1n])(
    'refuses the precompile / reserved address %s',
    (value) => {
      expect(reservedEvmDestination(address(value))).toBe('reserved_address');
    },
  );

  it('covers every address up to 0x…ffff and nothing above', () => {
    expect(RESERVED_EVM_ADDRESSES_BELOW).toBe(0x10000n);
    expect(reservedEvmDestination(address(RESERVED_EVM_ADDRESSES_BELOW))).toBeNull();
  });

  it.each([
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed',
    '0x0000000000000000000000000000000000010000',
    '0x1000000000000000000000000000000000000000',
    '0xffffffffffffffffffffffffffffffffffffffff',
  ])('allows an ordinary address %s', (to) => {
    expect(reservedEvmDestination(to)).toBeNull();
  });
});
