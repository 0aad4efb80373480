import { describe, expect, it } from 'vitest';
import { bumpedFees, cappedFees, gasLimitOf } from './evmFees.js';

const gwei = 10n ** 9n;

describe('cappedFees', () => {
  it("offers the node's estimate when it is under the cap", () => {
    expect(cappedFees({ baseFeePerGas: 10n * gwei, maxFeePerGas: 22n * gwei, maxPriorityFeePerGas: 2n * gwei }, 100n * gwei)).toEqual({
      maxFeePerGas: 22n * gwei,
      maxPriorityFeePerGas: 2n * gwei,
    });
  });

  it('caps the fee, and the tip at the fee', () => {
    expect(cappedFees({ baseFeePerGas: 10n * gwei, maxFeePerGas: 22n * gwei, maxPriorityFeePerGas: 2n * gwei }, 15n * gwei)).toEqual({
      maxFeePerGas: 15n * gwei,
      maxPriorityFeePerGas: 2n * gwei,
    });
    expect(cappedFees({ baseFeePerGas: 1n, maxFeePerGas: 50n, maxPriorityFeePerGas: 40n }, 30n)).toEqual({
      maxFeePerGas: 30n,
      maxPriorityFeePerGas: 30n,
    });
  });

  it('waits (UNAVAILABLE) while the base fee alone reaches the cap', () => {
    for (const baseFeePerGas of [15n * gwei, 16n * gwei]) {
      expect(() => cappedFees({ baseFeePerGas, maxFeePerGas: 40n * gwei, maxPriorityFeePerGas: gwei }, 15n * gwei)).toThrow(
        expect.objectContaining({ code: 'UNAVAILABLE' }),
      );
    }
  });
});

describe('bumpedFees', () => {
  const stuck = { maxFeePerGas: 20n * gwei, maxPriorityFeePerGas: 2n * gwei };

  it('raises both fields by the percentage, rounding up', () => {
    expect(bumpedFees(stuck, null, 1000n * gwei, 25n)).toEqual({ maxFeePerGas: 25n * gwei, maxPriorityFeePerGas: 2_500_000_000n });
    expect(bumpedFees({ maxFeePerGas: 101n, maxPriorityFeePerGas: 11n }, null, 1000n, 25n)).toEqual({
      maxFeePerGas: 127n, // 126.25 up
      maxPriorityFeePerGas: 14n, // 13.75 up
    });
  });

  it("takes the market's fields where they are higher", () => {
    const market = { maxFeePerGas: 40n * gwei, maxPriorityFeePerGas: 3n * gwei };
    expect(bumpedFees(stuck, market, 1000n * gwei, 25n)).toEqual(market);
  });

  it('stays under the cap, with the tip at most the fee', () => {
    expect(bumpedFees(stuck, { maxFeePerGas: 40n * gwei, maxPriorityFeePerGas: 30n * gwei }, 24n * gwei, 25n)).toEqual({
      maxFeePerGas: 24n * gwei,
      maxPriorityFeePerGas: 24n * gwei,
    });
  });

  it('gives up when the cap leaves less than the 10 % more nodes require on both fields', () => {
    expect(bumpedFees(stuck, null, 21n * gwei, 25n)).toBeNull(); // +5 %: refused by nodes
    expect(bumpedFees(stuck, null, 22n * gwei, 25n)).toEqual({ maxFeePerGas: 22n * gwei, maxPriorityFeePerGas: 2_500_000_000n });
    expect(bumpedFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 100n }, null, 105n, 25n)).toBeNull();
  });
});

describe('gasLimitOf', () => {
  it('keeps exactly 21000 for a plain value transfer to an account', () => {
    expect(gasLimitOf(21_000n, '0x')).toBe(21_000n);
  });

  it('adds 20 % to everything else (a token call, a contract recipient)', () => {
    expect(gasLimitOf(52_000n, '0xa9059cbb')).toBe(62_400n);
    expect(gasLimitOf(23_500n, '0x')).toBe(28_200n);
    expect(gasLimitOf(21_000n, '0xa9059cbb')).toBe(25_200n);
  });
});
