import { WalletError } from '@wallet/errors';

/** RFC 4648 section 6: the base32 alphabet authenticator apps expect for TOTP secrets. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Encodes bytes as RFC 4648 base32 (upper case).
 * @param padding add `=` up to a multiple of 8 characters @default false (otpauth URIs and apps use it bare)
 */
export function base32Encode(bytes: Uint8Array, padding = false): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    // keep only the bits not yet written, so the number never outgrows 32 bits
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (padding) while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * Decodes RFC 4648 base32. Case, spaces and trailing `=` are tolerated (people copy secrets from apps in groups of
 * four, lower-cased); anything else, or a length no encoder produces, is refused.
 * @throws WalletError VALIDATION_FAILED (`details.reason` `bad_base32`)
 */
export function base32Decode(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').toUpperCase().replace(/=+$/, '');
  // An encoder leaves 0, 2, 4, 5 or 7 characters after the last full 8 (40 bits).
  if (![0, 2, 4, 5, 7].includes(clean.length % 8)) throw badBase32();
  const out = new Uint8Array(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let i = 0;
  for (const char of clean) {
    const value = ALPHABET.indexOf(char);
    if (value < 0) throw badBase32();
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out[i++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // The bits left over are padding: an encoder writes them as zeros.
  if (buffer !== 0) throw badBase32();
  return out;
}

function badBase32(): WalletError {
  return new WalletError('VALIDATION_FAILED', 'not a base32 string', { details: { reason: 'bad_base32' } });
}
