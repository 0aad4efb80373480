import { z } from 'zod';

/** How the AES key of a keystore is derived: scrypt from a passphrase, or HKDF-SHA256 from a key-encryption key. */
export type KeystoreKdf =
  | { readonly name: 'scrypt'; readonly N: number; readonly r: number; readonly p: number; readonly salt: string }
  | { readonly name: 'hkdf-sha256'; readonly salt: string };

/**
 * The keystore at rest: BIP39 entropy sealed with AES-256-GCM. Plain JSON; binary fields are lower-case hex. The
 * header (`version`, `cipher`, `kdf`, `fingerprint`) is the GCM additional authenticated data, so editing it makes the
 * file fail to open; `createdAt` is informational and not authenticated.
 */
export type KeystoreFile = {
  readonly version: 1;
  readonly cipher: 'aes-256-gcm';
  readonly kdf: KeystoreKdf;
  /** 12-byte GCM nonce, random per file. */
  readonly iv: string;
  /** The encrypted entropy (16 or 32 bytes). */
  readonly ciphertext: string;
  /** 16-byte GCM authentication tag. */
  readonly tag: string;
  /** BIP32 master key fingerprint of the seed (public). */
  readonly fingerprint: string;
  /** ISO 8601 time of sealing. */
  readonly createdAt: string;
};

const hexBytes = (...lengths: number[]) =>
  z
    .string()
    .regex(/^(?:[0-9a-f]{2})*$/, 'must be lower-case hex')
    .refine((hex) => lengths.includes(hex.length / 2), `must be ${lengths.join(' or ')} bytes`);

const isPowerOfTwo = (n: number) => n > 1 && (n & (n - 1)) === 0;

/**
 * Bounds on scrypt's cost, enforced when opening as well as sealing: a keystore file is untrusted input, and one
 * re-sealed (or forged) with weak parameters would make a stolen copy cheap to brute-force. At least N = 2^15 with
 * r = 8 (32 MiB and about 0.1 s per guess; sealing uses 2^17), at most N = 2^20 and 1 GiB (128·N·r).
 */
export const scryptLimits = { minN: 2 ** 15, maxN: 2 ** 20, minR: 8, maxR: 32, maxMemory: 2 ** 30 } as const;

const ScryptParams = z
  .object({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(scryptLimits.minN, 'scrypt N must be at least 2^15')
      .max(scryptLimits.maxN, 'scrypt N must be at most 2^20')
      .refine(isPowerOfTwo, 'must be a power of two'),
    r: z.number().int().min(scryptLimits.minR, 'scrypt r must be at least 8').max(scryptLimits.maxR),
    p: z.number().int().min(1).max(16),
    salt: hexBytes(32),
  })
  .strict()
  // The file is untrusted input: its parameters must not be able to exhaust memory.
  .refine((kdf) => 128 * kdf.N * kdf.r <= scryptLimits.maxMemory, 'scrypt parameters need too much memory');

const HkdfParams = z.object({ name: z.literal('hkdf-sha256'), salt: hexBytes(32) }).strict();

/** Validates a {@link KeystoreFile} read from disk. */
export const KeystoreFileSchema = z
  .object({
    version: z.literal(1),
    cipher: z.literal('aes-256-gcm'),
    kdf: z.discriminatedUnion('name', [ScryptParams, HkdfParams]),
    iv: hexBytes(12),
    ciphertext: hexBytes(16, 32),
    tag: hexBytes(16),
    fingerprint: z.string().regex(/^[0-9a-f]{8}$/, 'must be 8 lower-case hex characters'),
    createdAt: z.iso.datetime(),
  })
  .strict() satisfies z.ZodType<KeystoreFile>;

/**
 * The GCM additional authenticated data of a keystore: its header as JSON, with the keys in a fixed order so that
 * sealing and opening serialise it identically whatever order the file's keys were in.
 * @param header the header fields of the file
 * @returns the UTF-8 bytes of `{"version":..,"cipher":..,"kdf":{..},"fingerprint":..}`
 */
export function keystoreAad(header: Pick<KeystoreFile, 'version' | 'cipher' | 'kdf' | 'fingerprint'>): Uint8Array {
  const { kdf } = header;
  const canonicalKdf =
    kdf.name === 'scrypt' ? { name: kdf.name, N: kdf.N, r: kdf.r, p: kdf.p, salt: kdf.salt } : { name: kdf.name, salt: kdf.salt };
  return new TextEncoder().encode(
    JSON.stringify({ version: header.version, cipher: header.cipher, kdf: canonicalKdf, fingerprint: header.fingerprint }),
  );
}
