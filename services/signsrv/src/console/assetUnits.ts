import { WalletError } from '@wallet/errors';

/**
 * An amount in base units as a decimal in the asset's unit, without trailing zeros: 200000000000000000 wei with 18
 * decimals is `0.2`. Exact (bigint arithmetic, never floats).
 */
export function formatUnits(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  // thousands separated by a thin space: readable at a glance, and never mistaken for a decimal point
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return `${negative ? '-' : ''}${grouped}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * A decimal typed in the asset's unit (`0.2`, `1,000.5`: commas and spaces between digits are ignored) in base units.
 * @param field the form field, for the error
 * @throws WalletError VALIDATION_FAILED (`details.field`) when it is not a non-negative decimal with at most `decimals`
 *   fraction digits
 */
export function parseUnits(text: string, decimals: number, field: string): bigint {
  const compact = text.trim().replace(/[,\s\u2009]/g, '');
  const match = /^([0-9]{1,66})(?:\.([0-9]*))?$/.exec(compact);
  const fraction = match?.[2] ?? '';
  if (!match || fraction.length > decimals) {
    throw new WalletError('VALIDATION_FAILED', `${field}: expected an amount with at most ${decimals} decimals`, { details: { field } });
  }
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}
