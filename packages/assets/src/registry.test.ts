import { isWalletError } from '@wallet/errors';
import { describe, expect, it } from 'vitest';
import { AssetRegistry, assetRegistryEnv, devRegistryInput } from './index.js';

describe('AssetRegistry', () => {
  const registry = AssetRegistry.parse(devRegistryInput);

  it('parses the dev registry with bigint limits', () => {
    expect(registry.assetIds()).toEqual(['BTC', 'ETH', 'LTC']);
    expect(registry.asset('ETH').minWithdrawal).toBe(1_000_000_000_000_000n);
    expect(registry.chain('ltc').network).toBe('regtest');
  });

  it('unknown asset and chain are UNSUPPORTED_*', () => {
    expect(() => registry.asset('DOGE')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_ASSET' }));
    try {
      registry.chain('doge');
    } catch (error) {
      expect(isWalletError(error, 'UNSUPPORTED_CHAIN')).toBe(true);
    }
  });

  it.each([
    [
      'a token on a UTXO chain',
      {
        ...devRegistryInput,
        assets: [
          ...devRegistryInput.assets,
          {
            id: 'USDT',
            chain: 'btc',
            decimals: 6,
            confirmations: 1,
            minWithdrawal: '1',
            withdrawalFee: '1',
            contract: '0x' + '1'.repeat(40),
          },
        ],
      },
    ],
    [
      'an asset on an unknown chain',
      {
        ...devRegistryInput,
        assets: [
          ...devRegistryInput.assets,
          { id: 'XRP', chain: 'xrp', decimals: 6, confirmations: 1, minWithdrawal: '1', withdrawalFee: '1' },
        ],
      },
    ],
    ['a duplicate asset', { ...devRegistryInput, assets: [...devRegistryInput.assets, devRegistryInput.assets[0]] }],
    ['a fractional fee', { ...devRegistryInput, assets: [{ ...devRegistryInput.assets[0], withdrawalFee: '0.1' }] }],
    ['an unknown field', { ...devRegistryInput, extra: 1 }],
  ])('refuses %s', (_name, input) => {
    expect(() => AssetRegistry.parse(input)).toThrow();
  });

  it('the env schema reports bad JSON as a config issue', () => {
    expect(assetRegistryEnv.safeParse('{nope').success).toBe(false);
    expect(assetRegistryEnv.parse(undefined).assetIds()).toEqual(['BTC', 'ETH', 'LTC']);
  });
});
