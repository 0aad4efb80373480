import { WalletError } from '@wallet/errors';

/** EIP-1559 fee fields of a transaction, in wei per gas. */
export type Fees = { readonly maxFeePerGas: bigint; readonly maxPriorityFeePerGas: bigint };

/**
 * The fees a new transaction offers: the node's estimate, capped.
 * @param estimate the node's estimate (`baseFeePerGas` of the next block, and suggested fields)
 * @param cap the most signsrv ever offers per gas on the chain
 * @throws WalletError UNAVAILABLE when the base fee alone reaches the cap (the transaction could not be mined: wait)
 */
export function cappedFees(estimate: Fees & { readonly baseFeePerGas: bigint }, cap: bigint): Fees {
  if (estimate.baseFeePerGas >= cap) {
    throw new WalletError('UNAVAILABLE', 'the base fee is above the fee cap: waiting', {
      details: { baseFeePerGas: estimate.baseFeePerGas.toString(), cap: cap.toString() },
    });
  }
  const maxFeePerGas = estimate.maxFeePerGas < cap ? estimate.maxFeePerGas : cap;
  const maxPriorityFeePerGas = estimate.maxPriorityFeePerGas < maxFeePerGas ? estimate.maxPriorityFeePerGas : maxFeePerGas;
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/**
 * The fees of a replacement: both fields of the stuck transaction raised by `percent` (rounded up), at least the
 * market's, at most the cap (and the tip at most the fee cap).
 * @param market the current capped fees, or null when the node could not say
 * @returns the fees, or null when the cap leaves less than the 10 % more on both fields that nodes require to replace
 * a pooled transaction
 */
export function bumpedFees(stuck: Fees, market: Fees | null, cap: bigint, percent: bigint): Fees | null {
  const raise = (v: bigint) => (v * (100n + percent) + 99n) / 100n;
  let priority = raise(stuck.maxPriorityFeePerGas);
  let maxFee = raise(stuck.maxFeePerGas);
  if (market && market.maxPriorityFeePerGas > priority) priority = market.maxPriorityFeePerGas;
  if (market && market.maxFeePerGas > maxFee) maxFee = market.maxFeePerGas;
  if (maxFee > cap) maxFee = cap;
  if (priority > maxFee) priority = maxFee;
  const minimum = (v: bigint) => (v * 110n + 99n) / 100n;
  if (maxFee < minimum(stuck.maxFeePerGas) || priority < minimum(stuck.maxPriorityFeePerGas)) return null;
  return { maxFeePerGas: maxFee, maxPriorityFeePerGas: priority };
}

/** A plain value transfer to an account (no code) uses exactly this much gas. */
export const TRANSFER_GAS = 21_000n;

/**
 * The gas limit of a transaction from the node's estimate: with a 20 % margin (state may change before it is mined),
 * except a plain value transfer to an account, which needs exactly 21000.
 */
export function gasLimitOf(estimate: bigint, data: string): bigint {
  if (estimate === TRANSFER_GAS && data === '0x') return estimate;
  return (estimate * 12n) / 10n;
}
