import { createCipheriv, randomBytes } from 'node:crypto';
import { type KeyProtector, deriveKeystoreKey, newKeystoreKdf } from './keyProtector.js';
import { type KeystoreFile, keystoreAad } from './keystoreFile.js';
import { masterFingerprint } from './masterFingerprint.js';

/** Options of {@link sealKeystore}. */
export type SealKeystoreOptions = {
  /**
   * scrypt cost N for a passphrase (ignored with a KEK): a power of two in [2^15, 2^20]; {@link openKeystore} refuses
   * less too.
   * @default 2 ** 17
   */
  scryptN?: number;
};

/**
 * Encrypts BIP39 entropy into a keystore file (key ceremony, or re-wrapping under a new KEK). Run it where the
 * entropy already is: the entropy goes into AES-256-GCM under a key derived from `protector`, with the header as
 * additional authenticated data. The caller zeroes `entropy` when done.
 * @param entropy 16 or 32 bytes of BIP39 entropy
 * @param protector a 32-byte KEK (HKDF-SHA256) or a passphrase of at least 12 characters (scrypt)
 * @param options see {@link SealKeystoreOptions}
 * @returns the keystore, plain JSON
 * @throws WalletError VALIDATION_FAILED (entropy length, scryptN), CONFIG_INVALID (malformed protector)
 */
export function sealKeystore(entropy: Uint8Array, protector: KeyProtector, options: SealKeystoreOptions = {}): KeystoreFile {
  const fingerprint = masterFingerprint(entropy);
  const kdf = newKeystoreKdf(protector, options.scryptN);
  const header = { version: 1, cipher: 'aes-256-gcm', kdf, fingerprint } as const;
  const iv = randomBytes(12);
  const key = deriveKeystoreKey(protector, kdf);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    cipher.setAAD(keystoreAad(header));
    const ciphertext = Buffer.concat([cipher.update(entropy), cipher.final()]);
    return {
      version: header.version,
      cipher: header.cipher,
      kdf,
      iv: iv.toString('hex'),
      ciphertext: ciphertext.toString('hex'),
      tag: cipher.getAuthTag().toString('hex'),
      fingerprint,
      createdAt: new Date().toISOString(),
    };
  } finally {
    key.fill(0);
  }
}
