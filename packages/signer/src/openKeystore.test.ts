import { createCipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type KeyProtector } from './keyProtector.js';
import { type KeystoreFile, keystoreAad } from './keystoreFile.js';
import { openKeystore } from './openKeystore.js';
import { sealKeystore } from './sealKeystore.js';
import { evmSigner } from './EvmHotWallet.js';
import { SeedVault, evmHotWalletPath } from './SeedVault.js';

const scryptN = 2 ** 15; // the smallest accepted (about 0.1 s a derivation): keeps tests fast
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const entropy = Uint8Array.from(randomBytes(32));
const kek = Uint8Array.from(randomBytes(32));
const passphrase = 'correct horse battery staple';
const fingerprint = new SeedVault(entropy).fingerprint;

/** Flips the low bit of the byte at `index` of a hex string. */
const flipByte = (hexString: string, index: number) => {
  const bytes = Buffer.from(hexString, 'hex');
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  return bytes.toString('hex');
};

const failure = (file: unknown, protector: KeyProtector): unknown => {
  try {
    openKeystore(file, protector);
  } catch (error) {
    return error;
  }
  throw new Error('the keystore opened');
};

const refused = expect.objectContaining({ code: 'CONFIG_INVALID' });

describe('sealKeystore and openKeystore', () => {
  it('round-trips the seed under a KEK (HKDF-SHA256)', () => {
    const file = sealKeystore(entropy, { kek });
    expect(file).toMatchObject({ version: 1, cipher: 'aes-256-gcm', kdf: { name: 'hkdf-sha256' }, fingerprint });
    expect(file.ciphertext).toHaveLength(64);
    expect(file.iv).toHaveLength(24);
    expect(file.tag).toHaveLength(32);
    expect(new Date(file.createdAt).toISOString()).toBe(file.createdAt);
    const vault = openKeystore(JSON.parse(JSON.stringify(file)), { kek });
    expect(vault.fingerprint).toBe(fingerprint);
    expect(vault.signer(evmSigner, evmHotWalletPath).address).toBe(new SeedVault(entropy).signer(evmSigner, evmHotWalletPath).address);
  });

  it('round-trips the seed under a passphrase (scrypt)', () => {
    const file = sealKeystore(entropy, { passphrase }, { scryptN });
    expect(file.kdf).toMatchObject({ name: 'scrypt', N: scryptN, r: 8, p: 1 });
    expect(openKeystore(file, { passphrase }).fingerprint).toBe(fingerprint);
  });

  it('round-trips 16-byte entropy', () => {
    const short = Uint8Array.from(randomBytes(16));
    expect(openKeystore(sealKeystore(short, { kek }), { kek }).fingerprint).toBe(new SeedVault(short).fingerprint);
  });

  it('uses scrypt N = 2^17, r = 8, p = 1 by default', () => {
    expect(sealKeystore(entropy, { passphrase }).kdf).toMatchObject({ name: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
  });

  it('normalises the passphrase (NFKC): composed and decomposed accents open the same keystore', () => {
    const file = sealKeystore(entropy, { passphrase: 'caf\u00e9 au lait !' }, { scryptN });
    expect(openKeystore(file, { passphrase: 'cafe\u0301 au lait !' }).fingerprint).toBe(fingerprint);
  });

  it('salts and IVs every file afresh', () => {
    const [a, b] = [sealKeystore(entropy, { kek }), sealKeystore(entropy, { kek })];
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('opens a file whose keys are in another order (the authenticated header is canonical)', () => {
    const file = sealKeystore(entropy, { passphrase }, { scryptN });
    const reordered = Object.fromEntries(
      Object.entries({ ...file, kdf: Object.fromEntries(Object.entries(file.kdf).reverse()) }).reverse(),
    );
    expect(openKeystore(reordered, { passphrase }).fingerprint).toBe(fingerprint);
  });

  describe('refuses to open, with CONFIG_INVALID', () => {
    const kekFile = sealKeystore(entropy, { kek });
    const passFile = sealKeystore(entropy, { passphrase }, { scryptN });
    const otherFingerprint = fingerprint === '00000000' ? '00000001' : '00000000';

    it.each<[string, KeystoreFile | Record<string, unknown>, KeyProtector]>([
      ['a wrong KEK', kekFile, { kek: Uint8Array.from(randomBytes(32)) }],
      ['a wrong passphrase', passFile, { passphrase: `${passphrase}!` }],
      ['a flipped ciphertext byte', { ...kekFile, ciphertext: flipByte(kekFile.ciphertext, 5) }, { kek }],
      ['a flipped tag byte', { ...kekFile, tag: flipByte(kekFile.tag, 15) }, { kek }],
      ['a flipped IV byte', { ...kekFile, iv: flipByte(kekFile.iv, 0) }, { kek }],
      ['an edited fingerprint', { ...kekFile, fingerprint: otherFingerprint }, { kek }],
      ['an edited fingerprint (passphrase)', { ...passFile, fingerprint: otherFingerprint }, { passphrase }],
      ['an edited KDF salt', { ...kekFile, kdf: { ...kekFile.kdf, salt: flipByte(kekFile.kdf.salt, 31) } }, { kek }],
      ['an edited scrypt N', { ...passFile, kdf: { ...passFile.kdf, N: scryptN * 2 } }, { passphrase }],
      ['an edited scrypt r', { ...passFile, kdf: { ...passFile.kdf, r: 16 } }, { passphrase }],
      ['a KDF switched to scrypt', { ...kekFile, kdf: { name: 'scrypt', N: scryptN, r: 8, p: 1, salt: kekFile.kdf.salt } }, { kek }],
      ['a passphrase for a KEK keystore', kekFile, { passphrase }],
      ['a KEK for a passphrase keystore', passFile, { kek }],
      ['another version', { ...kekFile, version: 2 }, { kek }],
      ['another cipher', { ...kekFile, cipher: 'aes-128-gcm' }, { kek }],
      ['a truncated ciphertext', { ...kekFile, ciphertext: kekFile.ciphertext.slice(0, 62) }, { kek }],
      ['a truncated tag', { ...kekFile, tag: kekFile.tag.slice(0, 24) }, { kek }],
      ['upper-case hex', { ...kekFile, ciphertext: kekFile.ciphertext.toUpperCase() }, { kek }],
      ['an unknown field', { ...kekFile, mnemonic: 'x' }, { kek }],
      ['a missing field', { ...kekFile, tag: undefined }, { kek }],
      ['scrypt N that is not a power of two', { ...passFile, kdf: { ...passFile.kdf, N: 1000 } }, { passphrase }],
      ['scrypt parameters needing more than 1 GiB', { ...passFile, kdf: { ...passFile.kdf, N: 2 ** 20, r: 16 } }, { passphrase }],
      ['a KEK of 31 bytes', kekFile, { kek: kek.subarray(1) }],
      ['an empty passphrase', passFile, { passphrase: '' }],
    ])('%s', (_, file, protector) => {
      expect(failure(file, protector)).toEqual(refused);
    });

    it.each([[null], ['{}'], [[]], [42]])('a file that is not a keystore: %j', (file) => {
      expect(failure(file, { kek })).toEqual(refused);
    });

    it('a wrong key or damaged file, saying no more than that and carrying no secret', () => {
      const derivedKey = hex(new Uint8Array(hkdfSync('sha256', kek, Buffer.from(kekFile.kdf.salt, 'hex'), 'wallet keystore v1', 32)));
      const wrongKek = Uint8Array.from(randomBytes(32));
      const errors = [
        failure(kekFile, { kek: wrongKek }),
        failure({ ...kekFile, tag: flipByte(kekFile.tag, 0) }, { kek }),
        failure({ ...kekFile, ciphertext: flipByte(kekFile.ciphertext, 0) }, { kek }),
        failure({ ...kekFile, fingerprint: otherFingerprint }, { kek }),
        failure(passFile, { passphrase: 'wrong passphrase' }),
      ];
      for (const error of errors) {
        expect(error).toEqual(refused);
        const e = error as Error & { details: unknown };
        expect(e.cause).toBeUndefined();
        expect(e.details).toEqual({});
        const shown = [e.message, JSON.stringify(error), inspect(error, { depth: 10 })].join('\n').toLowerCase();
        for (const secret of [hex(kek), hex(wrongKek), hex(entropy), derivedKey, passphrase, 'wrong passphrase']) {
          expect(shown).not.toContain(secret);
          expect(shown).not.toContain(secret.slice(0, 16));
        }
      }
    });
  });

  describe('refuses weak scrypt parameters on open, even in a file that is otherwise valid', () => {
    /** Seals as sealKeystore does, but with whatever scrypt parameters (sealKeystore itself refuses weak ones). */
    const sealWith = (N: number, r: number): KeystoreFile => {
      const kdf = { name: 'scrypt', N, r, p: 1, salt: randomBytes(32).toString('hex') } as const;
      const header = { version: 1, cipher: 'aes-256-gcm', kdf, fingerprint } as const;
      const key = scryptSync(passphrase.normalize('NFKC'), Buffer.from(kdf.salt, 'hex'), 32, { N, r, p: 1, maxmem: 256 * N * r });
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
      cipher.setAAD(keystoreAad(header));
      const ciphertext = Buffer.concat([cipher.update(entropy), cipher.final()]);
      return { ...header, iv: hex(iv), ciphertext: hex(ciphertext), tag: hex(cipher.getAuthTag()), createdAt: new Date().toISOString() };
    };

    it('opens the weakest accepted: N = 2^15, r = 8', () => {
      expect(openKeystore(sealWith(2 ** 15, 8), { passphrase }).fingerprint).toBe(fingerprint);
    });

    it.each([
      ['N = 2^10, r = 1', 2 ** 10, 1, 'kdf.N'],
      ['N = 2^14, r = 8', 2 ** 14, 8, 'kdf.N'],
      ['N = 2^15, r = 1', 2 ** 15, 1, 'kdf.r'],
      ['N = 2^16, r = 4', 2 ** 16, 4, 'kdf.r'],
    ])('%s', (_, N, r, path) => {
      expect(failure(sealWith(N, r), { passphrase })).toEqual(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          details: { issues: expect.arrayContaining([expect.objectContaining({ path })]) },
        }),
      );
    });
  });

  it('refuses a passphrase under 12 characters on open as well', () => {
    expect(failure(sealKeystore(entropy, { passphrase }, { scryptN }), { passphrase: passphrase.slice(0, 11) })).toEqual(refused);
  });

  it('does not authenticate createdAt (informational)', () => {
    const file = sealKeystore(entropy, { kek });
    expect(openKeystore({ ...file, createdAt: '2000-01-01T00:00:00.000Z' }, { kek }).fingerprint).toBe(fingerprint);
  });

  describe('sealKeystore refuses', () => {
    it.each([[new Uint8Array(20)], [new Uint8Array(0)], ['00'.repeat(16)]])('entropy that is not 16 or 32 bytes (%#)', (bad) => {
      expect(() => sealKeystore(bad as Uint8Array, { kek })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    });

    it.each([[1000], [2 ** 9], [2 ** 10], [2 ** 14], [2 ** 21], [1.5 * 2 ** 15]])('scryptN %d', (n) => {
      expect(() => sealKeystore(entropy, { passphrase }, { scryptN: n })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    });

    it.each<[string, unknown]>([
      ['a KEK of 16 bytes', { kek: new Uint8Array(16) }],
      ['a KEK given as hex', { kek: hex(kek) }],
      ['an empty passphrase', { passphrase: '' }],
      ['an 11-character passphrase', { passphrase: 'elevenchars' }],
      ['a passphrase of 11 characters in 12 code units', { passphrase: 'ten chars \u{1F511}' }],
      ['both a KEK and a passphrase', { kek, passphrase }],
      ['no protector', undefined],
    ])('%s as protector, with CONFIG_INVALID', (_, protector) => {
      expect(() => sealKeystore(entropy, protector as KeyProtector)).toThrow(refused);
    });
  });
});
