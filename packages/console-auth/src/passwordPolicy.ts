import { randomInt } from 'node:crypto';
import { WalletError } from '@wallet/errors';

/** A console password's length in characters (Unicode code points): long passphrases welcome, no composition rules. */
export const passwordLength = { min: 12, max: 200 } as const;

/**
 * Refuses a password the console does not accept: shorter than 12 or longer than 200 characters (NIST SP 800-63B:
 * length, not character classes).
 * @throws WalletError VALIDATION_FAILED (`details.reason` `password_too_short` or `password_too_long`)
 */
export function checkPasswordPolicy(password: string): void {
  const length = [...password.normalize('NFC')].length;
  if (length < passwordLength.min) {
    throw new WalletError('VALIDATION_FAILED', `a password has at least ${passwordLength.min} characters`, {
      details: { reason: 'password_too_short', min: passwordLength.min },
    });
  }
  if (length > passwordLength.max) {
    throw new WalletError('VALIDATION_FAILED', `a password has at most ${passwordLength.max} characters`, {
      details: { reason: 'password_too_long', max: passwordLength.max },
    });
  }
}

// No 0/O, 1/l/I: the generated password is read off a terminal and typed by hand.
const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * A random password for a new or reset user, shown once: 20 characters of a 57-letter alphabet (about 116 bits).
 * @param length @default 20
 */
export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
