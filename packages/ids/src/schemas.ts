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
