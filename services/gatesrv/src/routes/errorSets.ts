import type { ErrorCode } from '@wallet/errors';

// Error codes by what a route does, for the OpenAPI document and docs/api.md (each in docs/errors.md).

/**
 * Any signed route: authentication, the key's allow-list and scope, rate limit, and the services behind it being
 * unreachable or slow.
 */
export const SIGNED: readonly ErrorCode[] = [
  'UNAUTHENTICATED',
  'SOURCE_NOT_ALLOWED',
  'INSUFFICIENT_SCOPE',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TIMEOUT',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
];
/** A signed POST: its body and Idempotency-Key as well. */
export const SIGNED_POST: readonly ErrorCode[] = [
  ...SIGNED,
  'IDEMPOTENCY_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
];
/** A route about one account: found only among the client's own, served only by its node. */
export const ACCOUNT: readonly ErrorCode[] = ['ACCOUNT_NOT_FOUND', 'SHARD_UNAVAILABLE'];
