import { randomBytes } from 'node:crypto';
import { getAddress } from 'ethers';
import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { EvmAddressIndex } from './EvmAddressIndex.js';

const randomAddress = () => `0x${randomBytes(20).toString('hex')}`;

describe('EvmAddressIndex', () => {
  it('finds every added address with its value across growth, in lower case and checksummed, and nothing else', () => {
    const index = new EvmAddressIndex();
    const addresses = Array.from({ length: 20_000 }, randomAddress);
    addresses.forEach((a, i) => expect(index.add(i % 2 === 0 ? a : getAddress(a), i)).toBe(true));
    expect(index.size).toBe(20_000);
    addresses.forEach((a, i) => {
      expect(index.get(a)).toBe(i);
      expect(index.get(getAddress(a))).toBe(i);
      expect(index.get(a.toUpperCase().replace('0X', '0x'))).toBe(i);
    });
    for (let i = 0; i < 20_000; i++) expect(index.get(randomAddress())).toBeUndefined();
    expect(index.byteLength).toBeLessThan(20_000 * 60);
  });

  it('keeps the first value of an address added twice, in any case', () => {
    const index = new EvmAddressIndex();
    const a = randomAddress();
    expect(index.add(a, 1)).toBe(true);
    expect(index.add(getAddress(a), 2)).toBe(false);
    expect(index.get(a)).toBe(1);
    expect(index.size).toBe(1);
  });

  it('answers undefined for what is not an address, and refuses to add it', () => {
    const index = new EvmAddressIndex();
    const a = randomAddress();
    index.add(a, 7);
    for (const bad of [a.slice(2), `${a}00`, a.slice(0, -1), `0y${a.slice(2)}`, `${a.slice(0, -1)}g`, '', '0x', `0x${'g'.repeat(40)}`]) {
      expect(index.get(bad)).toBeUndefined();
      let refused: unknown;
      try {
        index.add(bad, 1);
      } catch (error) {
        refused = error;
      }
      expect(isWalletError(refused, 'INVALID_ADDRESS')).toBe(true);
    }
    // one digit off in any place is another address
    for (let i = 2; i < 42; i++) {
      const other = a.slice(0, i) + (a[i] === '0' ? '1' : '0') + a.slice(i + 1);
      expect(index.get(other)).toBeUndefined();
    }
    expect(index.size).toBe(1);
  });
});
