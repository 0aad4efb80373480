import { randomBytes } from 'node:crypto';
import { entropyToMnemonic, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { describe, expect, it } from 'vitest';
import { seedFromEntropy } from './seedFromEntropy.js';

const viaMnemonic = (entropy: Uint8Array) => mnemonicToSeedSync(entropyToMnemonic(entropy, wordlist));

describe('seedFromEntropy', () => {
  it.each([
    ['16 zero bytes (abandon x11 about)', new Uint8Array(16)],
    ['32 zero bytes', new Uint8Array(32)],
    ['16 0xff bytes', new Uint8Array(16).fill(0xff)],
    ['32 0xff bytes', new Uint8Array(32).fill(0xff)],
    ['16 random bytes', Uint8Array.from(randomBytes(16))],
    ['32 random bytes', Uint8Array.from(randomBytes(32))],
  ])('gives the BIP39 seed of the mnemonic of %s', (_, entropy) => {
    expect(Buffer.from(seedFromEntropy(entropy)).toString('hex')).toBe(Buffer.from(viaMnemonic(entropy)).toString('hex'));
  });

  it('gives the published BIP39 seed of abandon x11 about (empty passphrase)', () => {
    // The seed of the BIP-0084 test mnemonic, as listed with it by BIP39 tools (e.g. iancoleman.io/bip39).
    expect(Buffer.from(seedFromEntropy(new Uint8Array(16))).toString('hex')).toBe(
      '5eb00bbddcf069084889a8ab9155568165f5c453ccb85e70811aaed6f6da5fc19a5ac40b389cd370d086206dec8aa6c43daea6690f20ad3d8d48b2d2ce9e38e4',
    );
  });

  it.each([[new Uint8Array(0)], [new Uint8Array(15)], [new Uint8Array(20)], [new Uint8Array(24)], [new Uint8Array(33)], ['00'.repeat(16)]])(
    'refuses entropy that is not 16 or 32 bytes (%#)',
    (entropy) => {
      expect(() => seedFromEntropy(entropy as Uint8Array)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    },
  );
});
