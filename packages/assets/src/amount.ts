import { z } from 'zod';

/** 2^256 - 1: the largest amount the API accepts (an EVM uint256). */
export const MAX_UINT256 = (1n << 256n) - 1n;

/** 10^65 - 1: the largest amount MySQL's DECIMAL(65,0) stores; no balance can exceed it. */
export const MAX_DECIMAL65 = 10n ** 65n - 1n;

/**
 * An amount in base units as the API writes it: a string of decimal digits, no sign, no leading zeros
 * (except "0"), no fraction, at most 2^256 - 1. Parsed to bigint.
 */
export const BaseUnits = z
  .string({ error: 'amount must be a string of an integer in base units' })
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'amount must be a non-negative integer in base units, digits only')
  .transform((s) => BigInt(s))
  .refine((v) => v <= MAX_UINT256, 'amount exceeds 2^256-1');

/** A {@link BaseUnits} amount greater than zero. */
export const PositiveBaseUnits = BaseUnits.refine((v) => v > 0n, 'amount must be greater than zero');

/** A signed amount as stored in the journal (MySQL DECIMAL comes back as a string). */
export function parseSignedUnits(value: string): bigint {
  if (!/^-?(0|[1-9][0-9]*)$/.test(value)) throw new Error(`not an integer amount: ${value}`);
  return BigInt(value);
}

/**
 * A decimal in the asset's unit (`1.5` ETH) in base units (1500000000000000000 wei). Exact: bigint arithmetic, never
 * floats. Digits, at most one point with at least one digit after it, at most `decimals` digits after it; no sign,
 * exponent, separators or spaces (callers that take human input normalise it first).
 * @returns base units, or null when the text is not such a decimal
 */
export function decimalToBaseUnits(text: string, decimals: number): bigint | null {
  const match = /^([0-9]{1,78})(?:\.([0-9]+))?$/.exec(text);
  const fraction = match?.[2] ?? '';
  if (!match || fraction.length > decimals) return null;
  return BigInt(match[1]!) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
}

/**
 * Base units as a decimal in the asset's unit, without trailing zeros: 1500000000000000000 with 18 decimals is `1.5`,
 * a negative amount with a leading `-`. Exact (bigint arithmetic).
 */
export function baseUnitsToDecimal(amount: bigint, decimals: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}
