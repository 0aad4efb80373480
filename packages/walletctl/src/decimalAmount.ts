import { baseUnitsToDecimal, decimalToBaseUnits } from '@wallet/assets';
import { WalletError } from '@wallet/errors';

/**
 * An amount typed in the asset's unit (`1.5` ETH) in base units (1500000000000000000 wei), by decimalToBaseUnits:
 * digits, at most one point, at most `decimals` digits after it; no sign, no exponent, no separators.
 * @param text the amount as typed
 * @param decimals the asset's decimals
 * @param field the option it came from, for the error
 * @returns base units
 * @throws WalletError VALIDATION_FAILED (`details.field`)
 */
export function parseDecimalAmount(text: string, decimals: number, field: string): bigint {
  const amount = decimalToBaseUnits(text, decimals);
  if (amount === null) {
    throw new WalletError(
      'VALIDATION_FAILED',
      `${field}: expected an amount in the asset's unit with at most ${decimals} decimals (like 1.5), got ${JSON.stringify(text.slice(0, 100))}`,
      { details: { field } },
    );
  }
  return amount;
}

/**
 * Base units as a decimal in the asset's unit, without trailing zeros: 1500000000000000000 with 18 decimals is `1.5`.
 * @param amount base units (not negative)
 * @param decimals the asset's decimals
 */
export function formatDecimalAmount(amount: bigint, decimals: number): string {
  return baseUnitsToDecimal(amount, decimals);
}
