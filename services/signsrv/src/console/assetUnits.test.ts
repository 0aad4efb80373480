import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { formatUnits, parseUnits } from './assetUnits.js';

describe('formatUnits', () => {
  it('shows base units in the asset unit, exactly, without trailing zeros, thousands thin-spaced', () => {
    expect(formatUnits(200000000000000000n, 18)).toBe('0.2');
    expect(formatUnits(1n, 18)).toBe('0.000000000000000001');
    expect(formatUnits(1234567_000000n, 6)).toBe('1\u2009234\u2009567');
    expect(formatUnits(0n, 8)).toBe('0');
    expect(formatUnits(12n, 0)).toBe('12');
    expect(formatUnits(10n ** 40n + 5n, 18)).toBe(`10${'\u2009000'.repeat(7)}.000000000000000005`);
  });
});

describe('parseUnits', () => {
  it('reads a decimal in the asset unit into base units', () => {
    expect(parseUnits('0.2', 18, 'min')).toBe(200000000000000000n);
    expect(parseUnits(' 1,000.5 ', 6, 'min')).toBe(1000500000n);
    expect(parseUnits('3', 0, 'min')).toBe(3n);
    expect(parseUnits('7.', 2, 'min')).toBe(700n);
    expect(parseUnits(formatUnits(123456789012345678901n, 18), 18, 'min')).toBe(123456789012345678901n);
  });

  it.each(['', '-1', '1e3', '0x10', '1.2.3', 'abc', '0.0000001'])('refuses %j with the field named', (text) => {
    try {
      parseUnits(text, 6, 'max');
      expect.unreachable();
    } catch (error) {
      expect(isWalletError(error, 'VALIDATION_FAILED')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details['field']).toBe('max');
    }
  });
});
