import { hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { WalletError } from '@wallet/errors';
import { type KeystoreKdf, scryptLimits } from './keystoreFile.js';

/**
 * What protects the keystore: a 32-byte key-encryption key (from a KMS, HSM or secrets manager; see {@link parseKek})
 * or an operator's passphrase.
 */
export type KeyProtector = { readonly kek: Uint8Array } | { readonly passphrase: string };

/** scrypt cost used when sealing with a passphrase: N = 2^17, r = 8, p = 1 (128 MiB, OWASP's recommendation). */
export const defaultScrypt = { N: 2 ** 17, r: 8, p: 1 } as const;

/**
 * Shortest passphrase accepted, in characters (code points, after NFKC): scrypt slows guessing down, it does not
 * make a short passphrase strong.
 */
export const MIN_PASSPHRASE_LENGTH = 12;

/** HKDF `info`: binds the derived key to this use and format version. */
const HKDF_INFO = 'wallet keystore v1';
const KEY_LENGTH = 32;

function protectorKind(protector: unknown): 'kek' | 'passphrase' {
  if (typeof protector === 'object' && protector !== null) {
    const { kek, passphrase } = protector as { kek?: unknown; passphrase?: unknown };
    if (passphrase === undefined && kek instanceof Uint8Array && kek.length === KEY_LENGTH) return 'kek';
    if (kek === undefined && typeof passphrase === 'string' && [...passphrase.normalize('NFKC')].length >= MIN_PASSPHRASE_LENGTH) {
      return 'passphrase';
    }
  }
  // Neither the protector nor any part of it (not even a passphrase's length) is echoed: it is a secret.
  throw new WalletError(
    'CONFIG_INVALID',
    `key protector must be { kek: 32 bytes } or { passphrase: at least ${MIN_PASSPHRASE_LENGTH} characters }`,
  );
}

/**
 * Fresh KDF parameters (random salt) for sealing a keystore with `protector`.
 * @param protector a KEK or a passphrase
 * @param scryptN scrypt cost for a passphrase (ignored with a KEK) @default 2^17
 * @returns the `kdf` field of the keystore
 * @throws WalletError CONFIG_INVALID for a malformed protector, VALIDATION_FAILED for a bad `scryptN`
 */
export function newKeystoreKdf(protector: KeyProtector, scryptN: number = defaultScrypt.N): KeystoreKdf {
  const salt = randomBytes(32).toString('hex');
  if (protectorKind(protector) === 'kek') return { name: 'hkdf-sha256', salt };
  if (!Number.isInteger(scryptN) || scryptN < scryptLimits.minN || scryptN > scryptLimits.maxN || (scryptN & (scryptN - 1)) !== 0) {
    throw new WalletError('VALIDATION_FAILED', 'scryptN must be a power of two in [2^15, 2^20]', { details: { scryptN } });
  }
  return { name: 'scrypt', N: scryptN, r: defaultScrypt.r, p: defaultScrypt.p, salt };
}

/**
 * Derives a keystore's AES-256 key: HKDF-SHA256(kek, salt, 'wallet keystore v1') or scrypt(NFKC(passphrase), salt).
 * The caller zeroes the returned key when done.
 * @param protector a KEK or a passphrase, matching `kdf`
 * @param kdf the keystore's (validated) KDF parameters
 * @returns the 32-byte key
 * @throws WalletError CONFIG_INVALID for a malformed protector, or one of the other kind than the keystore's
 */
export function deriveKeystoreKey(protector: KeyProtector, kdf: KeystoreKdf): Uint8Array {
  const kind = protectorKind(protector);
  const expected = kdf.name === 'scrypt' ? 'passphrase' : 'kek';
  if (kind !== expected) {
    throw new WalletError('CONFIG_INVALID', `keystore is sealed with a ${expected}, but a ${kind} was given`, {
      details: { kdf: kdf.name },
    });
  }
  const salt = Buffer.from(kdf.salt, 'hex');
  if (kdf.name === 'hkdf-sha256') {
    return new Uint8Array(hkdfSync('sha256', (protector as { kek: Uint8Array }).kek, salt, HKDF_INFO, KEY_LENGTH));
  }
  // NFKC: the same passphrase typed on another keyboard or OS (composed or decomposed accents) opens the keystore.
  const passphrase = (protector as { passphrase: string }).passphrase.normalize('NFKC');
  // Node refuses scrypt above maxmem (32 MiB by default) and needs about 128·N·r bytes: allow twice that.
  const derived = scryptSync(passphrase, salt, KEY_LENGTH, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
  const key = Uint8Array.from(derived);
  derived.fill(0);
  return key;
}
