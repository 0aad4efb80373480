import { describe, expect, it } from 'vitest';
import { Address, Hash32, HexData, Quantity, RpcReceipt, SafeInteger } from './evmRpcSchemas.js';

describe('EVM RPC schemas', () => {
  it('reads quantities as bigint, up to 256 bits, leading zeros tolerated', () => {
    expect(Quantity.parse('0x0')).toBe(0n);
    expect(Quantity.parse('0x00ff')).toBe(255n);
    expect(Quantity.parse(`0x${'f'.repeat(64)}`)).toBe(2n ** 256n - 1n);
    for (const bad of ['0x', '255', '0xg1', `0x1${'0'.repeat(64)}`, '-0x1', ' 0x1']) expect(Quantity.safeParse(bad).success).toBe(false);
    expect(Quantity.safeParse(255).success).toBe(false);
  });

  it('reads small quantities as numbers only within the safe integer range', () => {
    expect(SafeInteger.parse('0x1f')).toBe(31);
    expect(SafeInteger.parse('0x1fffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    expect(SafeInteger.safeParse('0x20000000000000').success).toBe(false);
    expect(SafeInteger.safeParse('0x100000000000000').success).toBe(false);
  });

  it('lower-cases hashes and addresses, and refuses wrong lengths', () => {
    expect(Hash32.parse(`0x${'AB'.repeat(32)}`)).toBe(`0x${'ab'.repeat(32)}`);
    expect(Address.parse('0xDAC17F958D2EE523A2206206994597C13D831EC7')).toBe('0xdac17f958d2ee523a2206206994597c13d831ec7');
    expect(Hash32.safeParse(`0x${'ab'.repeat(31)}`).success).toBe(false);
    expect(Address.safeParse(`0x${'ab'.repeat(32)}`).success).toBe(false);
    expect(Address.safeParse(null).success).toBe(false);
  });

  it('refuses hex data of an odd length', () => {
    expect(HexData.parse('0x')).toBe('0x');
    expect(HexData.safeParse('0x123').success).toBe(false);
  });

  it('accepts receipt status 0 and 1 only, reads sender and gas, and drops fields it does not read', () => {
    const receipt = {
      transactionHash: `0x${'11'.repeat(32)}`,
      transactionIndex: '0x0',
      blockHash: `0x${'22'.repeat(32)}`,
      blockNumber: '0x1',
      status: '0x1',
      from: `0x${'AB'.repeat(20)}`,
      to: null,
      gasUsed: '0x5208',
      effectiveGasPrice: '0x3b9aca07',
      logs: [],
      cumulativeGasUsed: '0x5208',
    };
    expect(RpcReceipt.parse(receipt)).toEqual({
      ...receipt,
      transactionIndex: 0,
      blockNumber: 1,
      status: 1,
      from: `0x${'ab'.repeat(20)}`,
      gasUsed: 21_000n,
      effectiveGasPrice: 1_000_000_007n,
      cumulativeGasUsed: undefined,
    });
    expect(RpcReceipt.safeParse({ ...receipt, status: '0x2' }).success).toBe(false);
    expect(RpcReceipt.safeParse({ ...receipt, status: undefined, root: `0x${'33'.repeat(32)}` }).success).toBe(false);
    for (const field of ['from', 'gasUsed', 'effectiveGasPrice'] as const) {
      expect(RpcReceipt.safeParse({ ...receipt, [field]: undefined }).success).toBe(false);
      expect(RpcReceipt.safeParse({ ...receipt, [field]: null }).success).toBe(false);
    }
    expect(RpcReceipt.safeParse({ ...receipt, gasUsed: 21_000 }).success).toBe(false);
    expect(RpcReceipt.safeParse({ ...receipt, from: `0x${'ab'.repeat(19)}` }).success).toBe(false);
  });
});
