import { WalletError } from '@wallet/errors';

/**
 * An amount typed in the asset's unit (`1.5` ETH) in base units (1500000000000000000 wei). Exact: bigint arithmetic,
 * never floats. Digits, at most one point, at most `decimals` digits after it; no sign, no exponent, no separators.
 * @param text the amount as typed
 * @param decimals the asset's decimals
 * @param field the option it came from, for the error
 * @returns base units
 * @throws WalletError VALIDATION_FAILED (`details.field`)
 */
export function parseDecimalAmount(text: string, decimals: number, field: string): bigint {
  const match = /^([0-9]{1,78})(?:\.([0-9]+))?$/.exec(text);
  const fraction = match?.[2] ?? '';
  if (!match || fraction.length > decimals) {
    throw new WalletError(
      'VALIDATION_FAILED',
      `${field}: expected an amount in the asset's unit with at most ${decimals} decimals (like 1.5), got ${JSON.stringify(text.slice(0, 100))}`,
      { details: { field } },
    );
  }
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/**
 * Base units as a decimal in the asset's unit, without trailing zeros: 1500000000000000000 with 18 decimals is `1.5`.
 * @param amount base units (not negative)
 * @param decimals the asset's decimals
 */
export function formatDecimalAmount(amount: bigint, decimals: number): string {
  const digits = amount.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}
