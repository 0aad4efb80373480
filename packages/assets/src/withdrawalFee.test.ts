import { describe, expect, it } from 'vitest';
import { AssetRegistry, devRegistryInput } from './registry.js';
import { withdrawalFeeOf } from './withdrawalFee.js';

describe('withdrawalFeeOf', () => {
  const fixed = { withdrawalFee: 1000n };
  const following = { withdrawalFee: 1000n, feeFromRates: { units: 21_000, markupPercent: 20 } };

  it('is the fixed fee when the asset does not follow rates, or no rate is known', () => {
    expect(withdrawalFeeOf(fixed, 5n)).toBe(1000n);
    expect(withdrawalFeeOf(following, undefined)).toBe(1000n);
    expect(withdrawalFeeOf(following, 0n)).toBe(1000n);
  });

  it('is units x rate plus the markup, rounded up, never below the fixed fee', () => {
    expect(withdrawalFeeOf(following, 2_000_000_000n)).toBe(50_400_000_000_000n); // 21000 x 2 gwei x 1.2
    expect(withdrawalFeeOf({ withdrawalFee: 0n, feeFromRates: { units: 3, markupPercent: 10 } }, 1n)).toBe(4n); // 3.3 -> 4
    expect(withdrawalFeeOf({ ...following, withdrawalFee: 100_000n }, 1n)).toBe(100_000n); // 25 200 wei is below the floor
  });

  it('is refused on a token (its network fee is paid in another asset)', () => {
    const input = structuredClone(devRegistryInput) as { assets: Record<string, unknown>[] };
    input.assets.push({
      id: 'USDT',
      chain: 'eth',
      decimals: 6,
      confirmations: 3,
      minWithdrawal: '1',
      withdrawalFee: '1',
      contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      feeFromRates: { units: 65_000, markupPercent: 10 },
    });
    expect(() => AssetRegistry.parse(input)).toThrow(/feeFromRates is for native assets/);
  });
});
