import { WalletError } from '@wallet/errors';

/**
 * A node's fee rate in coins per 1,000 virtual bytes (what `estimatesmartfee` and `getmempoolinfo` answer, a JSON
 * number with at most 8 decimals) as whole satoshi per 1,000 vB. Read from the number's decimal text, so no binary
 * rounding creeps in (0.00012 x 1e5 is 12.000000000000002 in floating point).
 * @throws WalletError INTERNAL for a negative, non-finite or over-precise value
 */
export function satPerKvB(coinsPerKvB: number): bigint {
  if (!Number.isFinite(coinsPerKvB) || coinsPerKvB < 0) {
    throw new WalletError('INTERNAL', `fee rate ${coinsPerKvB} is not a non-negative number`);
  }
  const text = coinsPerKvB.toFixed(8);
  if (Number(text) !== coinsPerKvB) throw new WalletError('INTERNAL', `fee rate ${coinsPerKvB} has more than 8 decimals`);
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole) * 100_000_000n + BigInt(fraction.padEnd(8, '0'));
}

/** Satoshi per 1,000 vB as whole satoshi per vB, rounded up (a transaction never pays less than the rate asked). */
export function ceilSatPerVbyte(perKvB: bigint): bigint {
  return (perKvB + 999n) / 1000n;
}
