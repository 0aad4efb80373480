import { MAX_DECIMAL65, baseUnitsToDecimal, decimalToBaseUnits } from '@wallet/assets';
import { WalletError } from '@wallet/errors';

/**
 * An amount in base units as a decimal in the asset's unit, without trailing zeros: 200000000000000000 wei with 18
 * decimals is `0.2`. Exact (bigint arithmetic, never floats).
 */
export function formatUnits(amount: bigint, decimals: number): string {
  const [whole, fraction] = baseUnitsToDecimal(amount, decimals).split('.');
  // thousands separated by a thin space: readable at a glance, and never mistaken for a decimal point
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/**
 * A decimal typed in the asset's unit (`0.2`, `1,000.5`, `7.`: commas and spaces between digits are ignored, a
 * trailing point too) in base units, by decimalToBaseUnits; at most what MySQL's DECIMAL(65,0) stores.
 * @param field the form field, for the error
 * @throws WalletError VALIDATION_FAILED (`details.field`) when it is not a non-negative decimal with at most `decimals`
 *   fraction digits
 */
export function parseUnits(text: string, decimals: number, field: string): bigint {
  const compact = text
    .trim()
    .replace(/[,\s\u2009]/g, '')
    .replace(/\.$/, '');
  const amount = decimalToBaseUnits(compact, decimals);
  if (amount === null || amount > MAX_DECIMAL65) {
    throw new WalletError('VALIDATION_FAILED', `${field}: expected an amount with at most ${decimals} decimals`, { details: { field } });
  }
  return amount;
}
