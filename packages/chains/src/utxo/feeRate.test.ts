import { describe, expect, it } from 'vitest';
import { ceilSatPerVbyte, satPerKvB } from './feeRate.js';

describe('fee rates from a node', () => {
  it('reads coins per kvB exactly, as whole satoshi per kvB', () => {
    expect(satPerKvB(0.00012)).toBe(12_000n); // 0.00012 * 1e8 is 12000.000000000002 in floating point
    expect(satPerKvB(0.00001)).toBe(1_000n);
    expect(satPerKvB(0.00001001)).toBe(1_001n);
    expect(satPerKvB(1.5)).toBe(150_000_000n);
    expect(satPerKvB(0)).toBe(0n);
  });

  it('rounds satoshi per vB up, never below what was asked', () => {
    expect(ceilSatPerVbyte(12_000n)).toBe(12n);
    expect(ceilSatPerVbyte(12_001n)).toBe(13n);
    expect(ceilSatPerVbyte(1_001n)).toBe(2n);
    expect(ceilSatPerVbyte(999n)).toBe(1n);
    expect(ceilSatPerVbyte(0n)).toBe(0n);
  });

  it('refuses what no node answers: negative, not finite, more than 8 decimals', () => {
    for (const bad of [-0.0001, Number.NaN, Number.POSITIVE_INFINITY, 0.000000001]) {
      expect(() => satPerKvB(bad)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    }
  });
});
