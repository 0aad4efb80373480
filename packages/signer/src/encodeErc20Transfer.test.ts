import { Interface } from 'ethers';
import { describe, expect, it } from 'vitest';
import { encodeErc20Transfer } from './encodeErc20Transfer.js';

const erc20 = new Interface(['function transfer(address,uint256)']);
const checksummed = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'; // EIP-55 test case

describe('encodeErc20Transfer', () => {
  it.each([
    [checksummed, 1n],
    [checksummed.toLowerCase(), 0n],
    ['0x' + checksummed.slice(2).toUpperCase(), 10n ** 18n],
    ['0x0000000000000000000000000000000000000001', 123_456_789n],
    ['0xffffffffffffffffffffffffffffffffffffffff', 2n ** 256n - 1n],
  ])('matches ethers ABI encoding of transfer(%s, %s)', (to, amount) => {
    const calldata = encodeErc20Transfer(to, amount);
    expect(calldata).toBe(erc20.encodeFunctionData('transfer', [to, amount]));
    expect(calldata).toMatch(/^0xa9059cbb[0-9a-f]{128}$/);
  });

  it.each([
    ['an amount of 2^256', checksummed, 2n ** 256n],
    ['a negative amount', checksummed, -1n],
    ['an amount given as a number', checksummed, 1 as unknown as bigint],
    ['a wrong EIP-55 checksum', checksummed.replace('aA', 'Aa'), 1n],
    ['a 19-byte address', checksummed.slice(0, -2), 1n],
    ['an address without 0x', checksummed.slice(2), 1n],
    ['an empty address', '', 1n],
  ])('refuses %s', (_, to, amount) => {
    expect(() => encodeErc20Transfer(to, amount)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
