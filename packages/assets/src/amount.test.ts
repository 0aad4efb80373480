import { describe, expect, it } from 'vitest';
import { BaseUnits, MAX_UINT256, PositiveBaseUnits, baseUnitsToDecimal, decimalToBaseUnits } from './index.js';

describe('BaseUnits', () => {
  it.each([
    ['0', 0n],
    ['1', 1n],
    ['1500000000000000000', 1_500_000_000_000_000_000n],
    [MAX_UINT256.toString(), MAX_UINT256],
  ])('accepts %s', (input, expected) => {
    expect(BaseUnits.parse(input)).toBe(expected);
  });

  it.each([['-1'], ['+1'], ['1.5'], ['1e18'], [''], [' 1'], ['01'], ['0x10'], ['１'], [(MAX_UINT256 + 1n).toString()], ['9'.repeat(79)]])(
    'rejects %j',
    (input) => {
      expect(BaseUnits.safeParse(input).success).toBe(false);
    },
  );

  it.each([
    ['a number', 1],
    ['a bigint', 1n],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
    ['an array', []],
  ])('rejects %s', (_name, input) => {
    expect(BaseUnits.safeParse(input).success).toBe(false);
  });

  it('PositiveBaseUnits rejects zero', () => {
    expect(PositiveBaseUnits.safeParse('0').success).toBe(false);
    expect(PositiveBaseUnits.parse('7')).toBe(7n);
  });
});

describe('decimalToBaseUnits and baseUnitsToDecimal', () => {
  it('convert exactly both ways', () => {
    expect(decimalToBaseUnits('1.5', 18)).toBe(1500000000000000000n);
    expect(decimalToBaseUnits('0.00000001', 8)).toBe(1n);
    expect(decimalToBaseUnits('3', 0)).toBe(3n);
    expect(decimalToBaseUnits('0012.340', 3)).toBe(12340n);
    expect(baseUnitsToDecimal(1500000000000000000n, 18)).toBe('1.5');
    expect(baseUnitsToDecimal(0n, 8)).toBe('0');
    expect(baseUnitsToDecimal(-1n, 8)).toBe('-0.00000001');
    expect(baseUnitsToDecimal(12n, 0)).toBe('12');
    for (const v of [0n, 1n, 10n ** 30n + 7n, MAX_UINT256]) {
      expect(decimalToBaseUnits(baseUnitsToDecimal(v, 18), 18)).toBe(v);
    }
  });

  it.each(['', '1.', '.5', '-1', '+1', '1e3', '1,5', '1 000', '0x10', '1.5.1', ' 1', '1.123456789'])('refuses %j', (text) => {
    expect(decimalToBaseUnits(text, 8)).toBeNull();
  });
});
