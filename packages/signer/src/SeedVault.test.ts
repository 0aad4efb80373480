import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { accountXpubFromMnemonic } from '@wallet/keys';
import { HDNodeWallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { EvmHotWallet, evmSigner } from './EvmHotWallet.js';
import { SeedVault, evmHotWalletPath } from './SeedVault.js';
import type { DerivedKey } from './Signer.js';

const mnemonic = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const zeroEntropy = new Uint8Array(16);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('SeedVault', () => {
  it("derives the hot wallet at m/44'/60'/1'/0/0 (evmHotWalletPath), as ethers does from the mnemonic", () => {
    expect(evmHotWalletPath).toBe("m/44'/60'/1'/0/0");
    const wallet = new SeedVault(zeroEntropy).signer(evmSigner, evmHotWalletPath);
    expect(wallet.path).toBe("m/44'/60'/1'/0/0");
    expect(wallet.address).toBe(HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/1'/0/0").address);
    // and not the deposit account's first address
    expect(wallet.address).not.toBe(HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/0'/0/0").address);
  });

  it.each(["m/44'/60'/0'/0/0", "m/44'/60'/0'/0/7", "m/44'/60'/1'/0/1", "m/44'/60'/2147483647'/1/2147483647", 'm/0'])(
    'derives %s as ethers does, from 16 and 32 random bytes',
    (path) => {
      for (const entropy of [Uint8Array.from(randomBytes(16)), Uint8Array.from(randomBytes(32))]) {
        const phrase = entropyToMnemonic(entropy, wordlist);
        expect(new SeedVault(entropy).signer(evmSigner, path).address).toBe(HDNodeWallet.fromPhrase(phrase, undefined, path).address);
      }
    },
  );

  it('hands a backend the key and chain code at the path (as ethers derives them), then zeroes its own copy', () => {
    const path = "m/84'/1'/0'";
    let given: DerivedKey | undefined;
    const made = new SeedVault(zeroEntropy).signer(
      {
        name: 'probe',
        create: (key, p) => {
          given = key;
          // What a backend keeps must be its own copy: the vault zeroes the one it handed over.
          return { path: p, privateKey: hex(key.privateKey), chainCode: hex(key.chainCode) };
        },
      },
      path,
    );
    const node = HDNodeWallet.fromPhrase(mnemonic, undefined, path);
    expect(made).toEqual({ path, privateKey: node.privateKey.slice(2), chainCode: node.chainCode.slice(2) });
    expect(given!.privateKey.every((b) => b === 0)).toBe(true);
    expect(given!.chainCode.every((b) => b === 0)).toBe(true);
  });

  it('makes an EvmHotWallet with the evmSigner backend, whose sign is signEip1559', () => {
    const tx = {
      chainId: 1,
      nonce: 0,
      to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      value: 1n,
      data: '0x',
      gasLimit: 21_000n,
      maxFeePerGas: 2n,
      maxPriorityFeePerGas: 1n,
    };
    const wallet = new SeedVault(zeroEntropy).signer(evmSigner, evmHotWalletPath);
    expect(wallet).toBeInstanceOf(EvmHotWallet);
    expect(wallet.sign(tx)).toEqual(wallet.signEip1559(tx));
  });

  it('has the BIP32 master fingerprint of the seed', () => {
    expect(new SeedVault(zeroEntropy).fingerprint).toBe('73c5da0a');
    const entropy = Uint8Array.from(randomBytes(32));
    const master = HDNodeWallet.fromPhrase(entropyToMnemonic(entropy, wordlist), undefined, 'm');
    expect(`0x${new SeedVault(entropy).fingerprint}`).toBe(master.fingerprint);
  });

  it("gives the deposit accounts' xpubs that accountXpubFromMnemonic gives for its mnemonic", () => {
    const chains = [
      { id: 'eth', family: 'eth', network: 'mainnet' },
      { id: 'anvil', family: 'eth', network: 'regtest' },
      { id: 'btc', family: 'btc', network: 'mainnet' },
      { id: 'ltc-test', family: 'ltc', network: 'testnet' },
    ] as const;
    for (const entropy of [zeroEntropy, Uint8Array.from(randomBytes(32))]) {
      const phrase = entropyToMnemonic(entropy, wordlist);
      const expected = Object.fromEntries(
        chains.map((c) => [c.id, accountXpubFromMnemonic({ chain: c.family, network: c.network, mnemonic: phrase })]),
      );
      expect(new SeedVault(entropy).accountXpubs(chains)).toEqual(expected);
    }
    // BIP-0084's account 0 zpub of its (and this) mnemonic.
    expect(new SeedVault(zeroEntropy).accountXpubs([{ id: 'btc', family: 'btc', network: 'mainnet' }])['btc']).toBe(
      'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs',
    );
  });

  it('keeps its own copy of the entropy', () => {
    const entropy = Uint8Array.from(randomBytes(16));
    const vault = new SeedVault(entropy);
    const address = vault.signer(evmSigner, evmHotWalletPath).address;
    entropy.fill(0);
    expect(vault.signer(evmSigner, evmHotWalletPath).address).toBe(address);
  });

  it('refuses to derive once wiped, and keeps its fingerprint', () => {
    const vault = new SeedVault(zeroEntropy);
    const wallet = vault.signer(evmSigner, evmHotWalletPath);
    vault.wipe();
    expect(() => vault.signer(evmSigner, evmHotWalletPath)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => vault.accountXpubs([{ id: 'eth', family: 'eth', network: 'mainnet' }])).toThrow(
      expect.objectContaining({ code: 'INTERNAL' }),
    );
    expect(vault.fingerprint).toBe('73c5da0a');
    expect(wallet.address).toMatch(/^0x/); // wallets derived earlier hold their own key
  });

  it.each([
    "m/44'/60'/1'/0/x",
    "44'/60'/1'/0/0",
    'M/0',
    'm//0',
    'm/0/',
    "m/0''",
    'm/2147483648',
    "m/2147483648'",
    'm/-1',
    'm/0h',
    '',
    ' m/0',
  ])('refuses the derivation path %j', (path) => {
    expect(() => new SeedVault(zeroEntropy).signer(evmSigner, path)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it.each([[new Uint8Array(20)], [new Uint8Array(64)], ['00'.repeat(16)], [undefined]])('refuses entropy %#', (entropy) => {
    expect(() => new SeedVault(entropy as Uint8Array)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('shows its fingerprint only to JSON.stringify and util.inspect', () => {
    for (const entropy of [zeroEntropy, Uint8Array.from(randomBytes(16)), Uint8Array.from(randomBytes(32))]) {
      const vault = new SeedVault(entropy);
      const words = entropyToMnemonic(entropy, wordlist).split(' ');
      const privateKey = HDNodeWallet.fromPhrase(words.join(' '), undefined, evmHotWalletPath).privateKey.slice(2);
      expect(JSON.parse(JSON.stringify(vault))).toEqual({ fingerprint: vault.fingerprint });
      const shown = [
        JSON.stringify(vault),
        JSON.stringify({ vault }),
        inspect(vault, { showHidden: true, depth: Infinity }),
        inspect({ nested: { vault } }),
      ].join('\n');
      expect(shown).toContain(vault.fingerprint);
      expect(shown).not.toContain(hex(entropy));
      expect(shown).not.toContain(privateKey);
      for (let i = 0; i + 1 < words.length; i++) expect(shown).not.toContain(`${words[i]} ${words[i + 1]}`);
      expect(inspect(vault)).toBe(`SeedVault { fingerprint: '${vault.fingerprint}' }`);
    }
  });
});
