import type { AssetSpec } from './registry.js';

/**
 * The withdrawal fee of an asset now: its fixed `withdrawalFee`, or, when it follows the network fee rate
 * (`feeFromRates`) and `rate` is known (the chain's latest sample: wei per gas, or satoshi per vB), `units x rate`
 * plus the markup, rounded up, never below `withdrawalFee`. Exact (bigint).
 */
export function withdrawalFeeOf(asset: Pick<AssetSpec, 'withdrawalFee' | 'feeFromRates'>, rate: bigint | undefined): bigint {
  const policy = asset.feeFromRates;
  if (policy === undefined || rate === undefined || rate <= 0n) return asset.withdrawalFee;
  const scaled = rate * BigInt(policy.units) * BigInt(100 + policy.markupPercent);
  const fee = (scaled + 99n) / 100n;
  return fee > asset.withdrawalFee ? fee : asset.withdrawalFee;
}
