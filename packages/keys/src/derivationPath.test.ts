import { describe, expect, it } from 'vitest';
import { accountDerivationPath, derivationPath } from './derivationPath.js';

describe('derivationPath', () => {
  it.each([
    ['eth', 'mainnet', "m/44'/60'/0'/0/5"],
    ['eth', 'testnet', "m/44'/60'/0'/0/5"],
    ['eth', 'regtest', "m/44'/60'/0'/0/5"],
    ['btc', 'mainnet', "m/84'/0'/0'/0/5"],
    ['btc', 'testnet', "m/84'/1'/0'/0/5"],
    ['btc', 'regtest', "m/84'/1'/0'/0/5"],
    ['ltc', 'mainnet', "m/84'/2'/0'/0/5"],
    ['ltc', 'testnet', "m/84'/1'/0'/0/5"],
    ['ltc', 'regtest', "m/84'/1'/0'/0/5"],
  ] as const)('%s %s: %s', (chain, network, path) => {
    expect(derivationPath(chain, network, 5)).toBe(path);
    expect(accountDerivationPath(chain, network)).toBe(path.slice(0, -4));
  });

  it('takes indexes up to 2^31 - 1 and no further', () => {
    expect(derivationPath('btc', 'mainnet', 0)).toBe("m/84'/0'/0'/0/0");
    expect(derivationPath('btc', 'mainnet', 2 ** 31 - 1)).toBe("m/84'/0'/0'/0/2147483647");
    for (const index of [-1, 2 ** 31, 0.5, Number.NaN]) {
      expect(() => derivationPath('btc', 'mainnet', index)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });

  it('refuses a chain or network it does not know', () => {
    expect(() => derivationPath('doge' as 'btc', 'mainnet', 0)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_CHAIN' }));
    expect(() => derivationPath('btc', 'signet' as 'mainnet', 0)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
