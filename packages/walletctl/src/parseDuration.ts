import { WalletError } from '@wallet/errors';

const durationUnits: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration as operators write it: `0`, or a whole number with a unit (`500ms`, `90s`, `15m`, `24h`, `7d`).
 * @returns milliseconds
 * @throws WalletError VALIDATION_FAILED naming `option`
 */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d{1,10})(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = match?.[2];
  if (!match || (unit === undefined && match[1] !== '0')) {
    throw new WalletError('VALIDATION_FAILED', `${option} must be 0 or a whole number with a unit (ms, s, m, h, d), e.g. 24h`);
  }
  const ms = Number(match[1]) * (unit === undefined ? 0 : durationUnits[unit]!);
  if (!Number.isSafeInteger(ms)) throw new WalletError('VALIDATION_FAILED', `${option} is too long`);
  return ms;
}
