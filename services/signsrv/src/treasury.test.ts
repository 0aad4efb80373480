import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { accountXpubFromMnemonic, deriveAddress } from '@wallet/keys';
import { HDNodeWallet, Mnemonic } from 'ethers';
import { describe, expect, it } from 'vitest';
import { coldAddressOf } from './treasury.js';

// The cold destination of a tier: an address of the chain as given, or an offline wallet's account xpub (its first
// receive address); never a private key.
const phrase = 'test test test test test test test test test test test junk';
const registry = AssetRegistry.parse(devRegistryInput);
const eth = registry.chain('eth');
const ltc = registry.chain('ltc');
const refused = expect.objectContaining({ code: 'CONFIG_INVALID' });

describe('coldAddressOf', () => {
  it('takes an EVM address in EIP-55 (or one case) and returns its checksummed form', () => {
    expect(coldAddressOf('ETH', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', eth)).toBe('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
    expect(() => coldAddressOf('ETH', '0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', eth)).toThrow(refused);
  });

  it('takes an account xpub and uses its first receive address (/0/0), the one the offline wallet shows first', () => {
    const account = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(phrase), "m/44'/60'/0'");
    expect(coldAddressOf('ETH', account.neuter().extendedKey, eth)).toBe(
      HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(phrase), "m/44'/60'/0'/0/0").address,
    );
    const ltcXpub = accountXpubFromMnemonic({ chain: 'ltc', network: 'regtest', mnemonic: phrase });
    const first = coldAddressOf('LTC', ltcXpub, ltc);
    expect(first).toMatch(/^rltc1q/);
    expect(first).toBe(deriveAddress({ chain: 'ltc', network: 'regtest', xpub: ltcXpub, index: 0 }));
  });

  it('takes a UTXO address of the chain and network only', () => {
    const address = deriveAddress({
      chain: 'ltc',
      network: 'regtest',
      xpub: accountXpubFromMnemonic({ chain: 'ltc', network: 'regtest', mnemonic: phrase }),
      index: 5,
    });
    expect(coldAddressOf('LTC', address, ltc)).toBe(address);
    expect(coldAddressOf('LTC', address.toUpperCase(), ltc)).toBe(address);
    const mainnet = deriveAddress({
      chain: 'ltc',
      network: 'mainnet',
      xpub: accountXpubFromMnemonic({ chain: 'ltc', network: 'mainnet', mnemonic: phrase }),
      index: 0,
    });
    expect(() => coldAddressOf('LTC', mainnet, ltc)).toThrow(refused);
    expect(() => coldAddressOf('LTC', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', ltc)).toThrow(refused);
  });

  it('refuses an extended private key (the cold keys never come here) and anything else', () => {
    const account = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(phrase), "m/44'/60'/0'");
    expect(() => coldAddressOf('ETH', account.extendedKey, eth)).toThrow(refused);
    for (const bad of ['cold', 'xpub123', '0x1234']) expect(() => coldAddressOf('ETH', bad, eth)).toThrow(refused);
  });
});
