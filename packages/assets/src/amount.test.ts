import { describe, expect, it } from 'vitest';
import { BaseUnits, MAX_UINT256, PositiveBaseUnits } from './index.js';

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
