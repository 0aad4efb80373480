import { z } from 'zod';

/** Any object id as it crosses an API: opaque, 1-64 chars, no spaces or punctuation that could smuggle syntax. */
export const ObjectId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'invalid id');

/** A client's external account id (its own user id): 1-128 printable ASCII characters. */
export const ExternalId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'externalId must be 1-128 printable ASCII characters without spaces');

/** Idempotency-Key: 1-64 printable ASCII characters without spaces. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'Idempotency-Key must be 1-64 printable ASCII characters');

/** A transrv node id given by ops: lower-case letters, digits and dashes, at most 32 characters. */
export const NodeId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'expected [a-z0-9-], at most 32 chars');

const limitMessage = 'limit must be an integer 1..200';

/**
 * A page size as an HTTP query parameter: 1..200 written in plain decimal digits. Query values are strings, and
 * `z.coerce.number()` would also take `1e2`, `0x10`, ` 5` or `5.0`: a limit is exactly digits, nothing else.
 */
export const PageLimitQuery = z
  .string()
  .regex(/^[0-9]{1,3}$/, limitMessage)
  .transform(Number)
  .pipe(z.number().int().min(1, limitMessage).max(200, limitMessage));

/** The page part of a gRPC list request (limit 0 means the default; see pageLimit). */
export const PageRequest = z.object({ limit: z.number().int(), cursor: z.string().max(200) }).optional();

/**
 * A client's own reference for a withdrawal or a transfer: 1-64 printable ASCII characters without spaces, compared
 * byte-exact, unique per client among withdrawals and among transfers.
 */
export const ClientReference = z.string().regex(/^[\x21-\x7e]{1,64}$/, 'reference must be 1-64 printable ASCII characters without spaces');

/** The bounds of a client's metadata object (docs/api.md). */
export const METADATA_LIMITS = { keys: 20, keyChars: 40, valueChars: 500, bytes: 2048 } as const;

/** Characters as Unicode code points (a string with a lone surrogate is refused before this counts it). */
const chars = (s: string): number => [...s].length;
/** A UTF-16 surrogate without its pair: JSON can spell it (`"\\ud800"`), UTF-8 cannot store it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

const MetadataKey = z
  .string()
  .refine(wellFormed, 'a metadata key must be valid Unicode')
  .refine((k) => chars(k) >= 1 && chars(k) <= METADATA_LIMITS.keyChars, `a metadata key is 1-${METADATA_LIMITS.keyChars} characters`);
const MetadataValue = z
  .string()
  .refine(wellFormed, 'a metadata value must be valid Unicode')
  .refine((v) => chars(v) <= METADATA_LIMITS.valueChars, `a metadata value is at most ${METADATA_LIMITS.valueChars} characters`);

/**
 * A client's metadata for a withdrawal or a transfer: an object of string keys to string values, at most 20 keys of
 * 1-40 characters, values of at most 500 characters, and at most 2,048 bytes as compact JSON (UTF-8). `{}` is none.
 */
export const ClientMetadata = z.preprocess(
  (value, ctx) => {
    // JSON.parse makes `__proto__` an own key, which zod's record (like any assignment: a protobuf map decoder) skips
    // so that it cannot set the prototype: the client's key would be silently lost, so it is refused instead.
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__')) {
      ctx.addIssue({ code: 'custom', message: 'a metadata key may not be __proto__', path: ['__proto__'], input: value });
    }
    return value;
  },
  z
    .record(MetadataKey, MetadataValue)
    .refine((m) => Object.keys(m).length <= METADATA_LIMITS.keys, `metadata has at most ${METADATA_LIMITS.keys} keys`)
    .refine(
      (m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= METADATA_LIMITS.bytes,
      `metadata is at most ${METADATA_LIMITS.bytes} bytes as JSON`,
    ),
);
export type ClientMetadata = z.infer<typeof ClientMetadata>;

/**
 * An instant as a query parameter: ISO-8601 in UTC, `YYYY-MM-DDTHH:MM:SSZ` with up to 3 fraction digits
 * (`2024-12-04T12:00:00.000Z`, the form every answer shows). A day or time that does not exist (`02-30`, `24:00`) is
 * refused rather than rolled over.
 */
export const UtcTimestamp = z
  .string()
  .regex(
    /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,3})?Z$/,
    'expected an ISO-8601 UTC time: 2024-12-04T12:00:00.000Z',
  )
  .refine((s) => {
    const date = new Date(s);
    const [whole, fraction = ''] = s.slice(0, -1).split('.');
    return !Number.isNaN(date.getTime()) && date.toISOString() === `${whole}.${fraction.padEnd(3, '0')}Z`;
  }, 'no such time');
