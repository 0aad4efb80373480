import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Decode, base32Encode } from './base32.js';

/** The HMAC of RFC 6238 (TOTP) and RFC 4226 (HOTP). The console uses SHA-1, which every authenticator app supports. */
export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** The console's TOTP parameters: RFC 6238's defaults, what authenticator apps assume when a URI names none. */
export const totpDefaults = { algorithm: 'sha1', digits: 6, periodSeconds: 30, window: 1 } as const;

/**
 * HOTP (RFC 4226 section 5.3): HMAC of the 8-byte big-endian counter, dynamic truncation to 31 bits, the last
 * `digits` decimal digits (zero-padded).
 * @param key the shared secret's bytes
 * @param counter the moving factor (for TOTP, the time step)
 * @param digits @default 6
 * @param algorithm @default 'sha1'
 */
export function hotp(key: Uint8Array, counter: number | bigint, digits = 6, algorithm: TotpAlgorithm = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  // dynamic truncation: the low 4 bits of the last byte pick 4 bytes; their top bit is dropped (RFC 4226 5.4)
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}

/**
 * The RFC 6238 time step of an instant: `floor(unix seconds / period)`.
 * @param periodSeconds @default 30
 */
export function totpStep(timeMs: number, periodSeconds: number = totpDefaults.periodSeconds): number {
  return Math.floor(timeMs / 1000 / periodSeconds);
}

/**
 * The TOTP code of a base32 secret at an instant.
 * @param options `digits` @default 6, `algorithm` @default 'sha1', `periodSeconds` @default 30
 */
export function totpCode(
  secret: string,
  timeMs: number,
  options: { digits?: number; algorithm?: TotpAlgorithm; periodSeconds?: number } = {},
): string {
  const step = totpStep(timeMs, options.periodSeconds);
  return hotp(base32Decode(secret), step, options.digits ?? totpDefaults.digits, options.algorithm ?? totpDefaults.algorithm);
}

/**
 * Checks a 6-digit code against the steps around `timeMs` (clock drift between the server and the phone) and
 * returns the step it matched, or null. Codes of steps at or before `lastStep` are refused: each code is accepted once,
 * and once a code is used no older one is (the caller stores the returned step as the new `lastStep`, under a lock).
 * Every candidate is compared in constant time.
 * @param options `window` steps either side @default 1, `lastStep` the last step accepted @default none
 * @returns the matched step, or null
 */
export function verifyTotp(
  secret: string,
  code: string,
  timeMs: number,
  options: { window?: number; lastStep?: number | null } = {},
): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const key = base32Decode(secret);
  const now = totpStep(timeMs);
  const window = options.window ?? totpDefaults.window;
  const lastStep = options.lastStep ?? null;
  let matched: number | null = null;
  for (let step = now - window; step <= now + window; step++) {
    const expected = hotp(key, step, totpDefaults.digits, totpDefaults.algorithm);
    // no early exit: the time taken does not say which step matched
    const equal = timingSafeEqual(Buffer.from(expected), Buffer.from(code));
    if (equal && matched === null && (lastStep === null || step > lastStep)) matched = step;
  }
  return matched;
}

/** A new TOTP secret: 20 random bytes (RFC 4226's recommended 160 bits), in base32 (32 characters). */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/**
 * The enrollment URI an authenticator app scans as a QR code (Google Authenticator's Key Uri Format):
 * `otpauth://totp/Issuer:account?secret=...&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
 */
export function otpauthUri(input: { secret: string; account: string; issuer: string }): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  const query = new URLSearchParams({
    secret: input.secret,
    issuer: input.issuer,
    algorithm: totpDefaults.algorithm.toUpperCase(),
    digits: String(totpDefaults.digits),
    period: String(totpDefaults.periodSeconds),
  });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, '%20')}`;
}
