import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawShares } from './redPackets.js';

describe('drawShares', () => {
  it('makes count shares, each at least one base unit, summing to the total exactly, in both modes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.constantFrom('equal' as const, 'random' as const),
        (count, extra, mode) => {
          const total = BigInt(count) + extra;
          const shares = drawShares(total, count, mode);
          expect(shares).toHaveLength(count);
          expect(shares.every((s) => s >= 1n)).toBe(true);
          expect(shares.reduce((a, b) => a + b, 0n)).toBe(total);
          if (mode === 'equal') expect(Math.max(...shares.map(Number)) - Math.min(...shares.map(Number))).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a total below the count (a share would be zero)', () => {
    expect(() => drawShares(4n, 5, 'random')).toThrow(/at least one/);
    expect(drawShares(5n, 5, 'random')).toEqual([1n, 1n, 1n, 1n, 1n]);
  });

  it('is fair in random mode: every place in the claim order gets the same share on average', () => {
    const runs = 4000;
    const count = 5;
    const total = 1000n;
    const sums = Array.from({ length: count }, () => 0);
    for (let r = 0; r < runs; r++) drawShares(total, count, 'random').forEach((s, i) => (sums[i]! += Number(s)));
    // Each mean is 200; a share's standard deviation is about 163, so the mean of 4,000 is within 200 +- 8 (1 sigma 2.6).
    for (const sum of sums) expect(Math.abs(sum / runs - 200)).toBeLessThan(12);
  });
});
