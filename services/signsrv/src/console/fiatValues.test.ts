import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { describe, expect, it } from 'vitest';
import { type FiatPrices, fiatCents, fiatText } from './fiatValues.js';

const registry = AssetRegistry.parse(devRegistryInput);
const now = Date.parse('2026-12-06T12:00:00Z');
const prices = (rate: string, ageMs = 0): FiatPrices => ({
  fiat: 'USD',
  byAsset: new Map([['ETH', { rate, fetchedAt: new Date(now - ageMs) }]]),
});

describe('fiat values in the console', () => {
  it('computes cents exactly, rounding half up', () => {
    expect(fiatCents(2n * 10n ** 17n, 18, '2000')).toBe(40000n);
    expect(fiatCents(1n, 18, '3012.5')).toBe(0n);
    expect(fiatCents(10n ** 18n, 18, '0.005')).toBe(1n); // half a cent rounds up
    expect(fiatCents(10n ** 18n, 18, '0.004999999999')).toBe(0n);
    expect(fiatCents(123456789n, 8, '65000.123456789012')).toBe(8024707n); // 1.23456789 x 65000.123456789012 = 80247.0652...
    expect(fiatCents(10n ** 40n, 18, '3000')).toBe(3n * 10n ** 27n);
  });

  it('shows the value with its currency, the age of an old price, and nothing for an asset without a price', () => {
    expect(fiatText(registry, prices('2000'), 'ETH', 2n * 10n ** 17n, now)).toBe('≈ 400.00 USD');
    expect(fiatText(registry, prices('3012.5'), 'ETH', 12n * 10n ** 18n, now)).toBe('≈ 36\u2009150.00 USD');
    expect(fiatText(registry, prices('2000', 2 * 3600_000), 'ETH', 10n ** 18n, now)).toBe('≈ 2\u2009000.00 USD (price 2 h 0 min old)');
    expect(fiatText(registry, prices('2000'), 'LTC', 10n ** 8n, now)).toBe('');
    expect(fiatText(registry, prices('not a number'), 'ETH', 10n ** 18n, now)).toBe('');
  });
});
