import { createDecipheriv } from 'node:crypto';
import { WalletError } from '@wallet/errors';
import { type KeyProtector, deriveKeystoreKey } from './keyProtector.js';
import { KeystoreFileSchema, keystoreAad } from './keystoreFile.js';
import { SeedVault } from './SeedVault.js';

// One error for every way opening can fail once the file is well-formed: GCM cannot tell a wrong key from a damaged
// file, and nothing secret (key, derived key, plaintext, the crypto library's error) goes into it, not even as cause.
const unopenable = () => new WalletError('CONFIG_INVALID', 'keystore could not be opened: wrong key or damaged file');

/**
 * Decrypts a keystore file (signsrv start-up) and checks that it holds the seed its header names.
 * @param file the parsed JSON of the file; validated here
 * @param protector the KEK or passphrase it was sealed with
 * @returns the seed vault
 * @throws WalletError CONFIG_INVALID: a malformed file (`details.issues`; this includes scrypt parameters weaker than
 * N = 2^15, r = 8, see `scryptLimits`), a malformed protector (a passphrase under 12 characters) or one of the wrong
 * kind, or a wrong key or damaged file (the message says no more than that)
 */
export function openKeystore(file: unknown, protector: KeyProtector): SeedVault {
  const parsed = KeystoreFileSchema.safeParse(file);
  if (!parsed.success) {
    throw new WalletError('CONFIG_INVALID', 'keystore file is malformed', {
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const keystore = parsed.data;
  const key = deriveKeystoreKey(protector, keystore.kdf);
  let entropy: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(keystore.iv, 'hex'), { authTagLength: 16 });
    decipher.setAAD(keystoreAad(keystore));
    decipher.setAuthTag(Buffer.from(keystore.tag, 'hex'));
    entropy = decipher.update(Buffer.from(keystore.ciphertext, 'hex'));
    decipher.final(); // checks the tag: until it passes, `entropy` is unauthenticated
  } catch {
    entropy?.fill(0);
    throw unopenable();
  } finally {
    key.fill(0);
  }
  let vault: SeedVault;
  try {
    vault = new SeedVault(entropy);
  } catch {
    throw unopenable();
  } finally {
    entropy.fill(0);
  }
  // The tag already covers the fingerprint; recomputing it also catches a file sealed from the wrong entropy.
  if (vault.fingerprint !== keystore.fingerprint) {
    vault.wipe();
    throw unopenable();
  }
  return vault;
}
