import { describe, expect, it } from 'vitest';
import { formatDecimalAmount, parseDecimalAmount } from './decimalAmount.js';

describe('parseDecimalAmount', () => {
  it('turns an amount in the asset unit into base units exactly', () => {
    expect(parseDecimalAmount('1.5', 18, '--amount')).toBe(1_500_000_000_000_000_000n);
    expect(parseDecimalAmount('0.00000001', 8, '--amount')).toBe(1n);
    expect(parseDecimalAmount('25', 6, '--amount')).toBe(25_000_000n);
    expect(parseDecimalAmount('7', 0, '--amount')).toBe(7n);
    // more digits than a float holds: still exact
    expect(parseDecimalAmount('123456789.123456789012345678', 18, '--amount')).toBe(123_456_789_123_456_789_012_345_678n);
  });

  it.each(['', '1.', '.5', '-1', '+1', '1e3', '1,5', '1 000', '0x10', '1.5.1', ' 1'])('refuses %j', (text) => {
    expect(() => parseDecimalAmount(text, 18, '--amount')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('refuses more decimals than the asset has', () => {
    expect(() => parseDecimalAmount('0.000000001', 8, '--amount')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: { field: '--amount' } }),
    );
    expect(() => parseDecimalAmount('1.0', 0, '--amount')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('formatDecimalAmount', () => {
  it('writes base units in the asset unit without trailing zeros', () => {
    expect(formatDecimalAmount(1_500_000_000_000_000_000n, 18)).toBe('1.5');
    expect(formatDecimalAmount(1n, 8)).toBe('0.00000001');
    expect(formatDecimalAmount(0n, 6)).toBe('0');
    expect(formatDecimalAmount(25_000_000n, 6)).toBe('25');
    expect(formatDecimalAmount(7n, 0)).toBe('7');
  });

  it('round-trips with parseDecimalAmount', () => {
    for (const [amount, decimals] of [
      [123_456_789_012_345_678_901n, 18],
      [99_999_999n, 8],
      [10n, 1],
    ] as const) {
      expect(parseDecimalAmount(formatDecimalAmount(amount, decimals), decimals, 'x')).toBe(amount);
    }
  });
});
