import { WalletError } from '@wallet/errors';

// 1-64 printable ASCII characters without spaces: safe in a header, a log line and a Redis key.
const idempotencyKeyPattern = /^[\x21-\x7E]{1,64}$/;

/**
 * Validates an `Idempotency-Key` header value (docs/api.md: required on every POST, 1-64 chars).
 * @param value the header as received; absent, repeated or malformed values are refused
 * @returns the key
 * @throws WalletError VALIDATION_FAILED
 */
export function parseIdempotencyKey(value: string | readonly string[] | undefined): string {
  if (typeof value !== 'string' || !idempotencyKeyPattern.test(value)) {
    throw new WalletError('VALIDATION_FAILED', 'Idempotency-Key must be 1-64 printable ASCII characters without spaces', {
      details: { field: 'Idempotency-Key' },
    });
  }
  return value;
}
