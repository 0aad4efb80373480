import { describe, expect, it } from 'vitest';
import { accountXpubFromMnemonic } from './accountXpubFromMnemonic.js';
import { parseAccountXpub } from './parseAccountXpub.js';
import derivation from './vectors/derivation.json' with { type: 'json' };

const mnemonic = derivation.valid[0]!.mnemonic!;
const refused = (reason?: string): unknown =>
  expect.objectContaining({ code: 'VALIDATION_FAILED', ...(reason === undefined ? {} : { details: expect.objectContaining({ reason }) }) });

describe('accountXpubFromMnemonic', () => {
  it('returns the BIP-0084 account zpub of the BIP-0084 mnemonic', () => {
    expect(accountXpubFromMnemonic({ chain: 'btc', network: 'mainnet', mnemonic })).toBe(derivation.valid[0]!.accountXpub);
  });

  it.each([
    ['eth', 'mainnet', 'xpub'],
    ['eth', 'regtest', 'xpub'],
    ['btc', 'mainnet', 'zpub'],
    ['btc', 'testnet', 'vpub'],
    ['ltc', 'mainnet', 'zpub'],
    ['ltc', 'regtest', 'vpub'],
  ] as const)('emits a public account key for %s %s (%s) that parseAccountXpub accepts', (chain, network, prefix) => {
    const xpub = accountXpubFromMnemonic({ chain, network, mnemonic });
    expect(xpub.startsWith(prefix)).toBe(true);
    expect(parseAccountXpub({ chain, network, xpub }).privateKey).toBeNull();
  });

  it('uses the passphrase, empty by default', () => {
    const without = accountXpubFromMnemonic({ chain: 'btc', network: 'mainnet', mnemonic });
    expect(accountXpubFromMnemonic({ chain: 'btc', network: 'mainnet', mnemonic, passphrase: '' })).toBe(without);
    expect(accountXpubFromMnemonic({ chain: 'btc', network: 'mainnet', mnemonic, passphrase: 'TREZOR' })).not.toBe(without);
  });

  it.each([
    ['a wrong checksum word', mnemonic.replace(/about$/, 'abandon')],
    ['a word not in the list', mnemonic.replace(/about$/, 'aboutx')],
    ['11 words', mnemonic.split(' ').slice(1).join(' ')],
    ['double spaces', mnemonic.replaceAll(' ', '  ')],
    ['an empty string', ''],
  ])('refuses a mnemonic with %s, without echoing it', (_, bad) => {
    let error: unknown;
    try {
      accountXpubFromMnemonic({ chain: 'btc', network: 'mainnet', mnemonic: bad });
    } catch (caught) {
      error = caught;
    }
    expect(error).toEqual(refused('MNEMONIC'));
    if (bad !== '') expect(JSON.stringify(error) + (error as Error).message).not.toContain(bad.split(' ')[0]);
  });

  it('refuses a chain or network it does not know', () => {
    expect(() => accountXpubFromMnemonic({ chain: 'doge' as 'btc', network: 'mainnet', mnemonic })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_CHAIN' }),
    );
    expect(() => accountXpubFromMnemonic({ chain: 'btc', network: 'signet' as 'mainnet', mnemonic })).toThrow(refused());
  });
});
