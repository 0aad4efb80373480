import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { WalletError } from '@wallet/errors';

/** scrypt's cost: N = 2^ln, block size r, parallelism p. */
export type ScryptParams = { readonly ln: number; readonly r: number; readonly p: number };

/**
 * N = 2^15, r = 8, p = 1: 32 MiB and roughly 100 ms a hash here, OWASP's recommended minimum for scrypt. A stored
 * hash names its own parameters, so raising these later re-hashes nobody and locks nobody out.
 */
export const scryptDefaults: ScryptParams = { ln: 15, r: 8, p: 1 };

/**
 * Bounds on the parameters a stored hash may name: below them a hash is too cheap to keep, above them one login
 * could take a gigabyte or minutes (a hash string is data, and data can be altered).
 */
const limits = { minLn: 14, maxLn: 20, minR: 8, maxR: 32, maxP: 16 } as const;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

// $scrypt$ln=15,r=8,p=1$<salt, base64 without padding>$<derived key, base64 without padding>
const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,128})\$([A-Za-z0-9+/]{16,128})$/;

/**
 * Hashes a password with scrypt and a random 16-byte salt, as a self-describing string
 * (`$scrypt$ln=15,r=8,p=1$salt$hash`, the PHC string format). The password is NFC-normalised first, so the same
 * characters typed on another keyboard or system give the same hash.
 * @param params @default scryptDefaults
 */
export async function hashPassword(password: string, params: ScryptParams = scryptDefaults): Promise<string> {
  checkParams(params);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

/**
 * Whether `password` is the one `stored` was made from (scrypt with the stored parameters, constant-time compare).
 * @throws WalletError INTERNAL when `stored` is not a hash this module writes (corrupt or foreign data, not a wrong
 *   password)
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m) throw new WalletError('INTERNAL', 'stored password hash is malformed');
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  checkParams(params);
  const salt = Buffer.from(m[4]!, 'base64');
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await derive(password, salt, params, expected.length);
  return timingSafeEqual(key, expected);
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) =>
    scrypt(
      Buffer.from(password.normalize('NFC'), 'utf8'),
      salt,
      length,
      // scrypt needs 128 * N * r bytes; node refuses anything over maxmem (32 MiB by default, exactly our cost)
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

function checkParams(params: ScryptParams): void {
  const ok =
    Number.isInteger(params.ln) &&
    params.ln >= limits.minLn &&
    params.ln <= limits.maxLn &&
    Number.isInteger(params.r) &&
    params.r >= limits.minR &&
    params.r <= limits.maxR &&
    Number.isInteger(params.p) &&
    params.p >= 1 &&
    params.p <= limits.maxP;
  if (!ok) throw new WalletError('INTERNAL', 'scrypt parameters out of bounds', { details: { ...params } });
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
