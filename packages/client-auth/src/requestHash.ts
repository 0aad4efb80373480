import { createHash } from 'node:crypto';

/** What makes two POSTs "the same request" for idempotency. */
export type RequestHashInput = {
  readonly method: string;
  /**
   * The concrete path (`/v1/accounts/acc_1/withdrawals`), not the route template: the same key and body
   * sent for another account is a different request and must not replay the first one's response.
   */
  readonly route: string;
  /** The raw body bytes as received (a string is taken as UTF-8); absent means empty. */
  readonly body?: string | Uint8Array | undefined;
};

/**
 * Fingerprint of a request, stored with its idempotency key so a reuse with a different request is
 * detected. The body is hashed as raw bytes, not re-serialised JSON: a client retries by resending the
 * same bytes, and re-serialising would hide differences the services would see.
 *
 * ```
 * sha256( len(METHOD) ":" METHOD len(route) ":" route body )   lengths in UTF-8 bytes, decimal
 * ```
 * The length prefixes make the encoding unambiguous whatever the route contains.
 * @param input method, route and body
 * @returns 64 lowercase hex characters
 */
export function requestHash(input: RequestHashInput): string {
  const method = input.method.toUpperCase();
  const hash = createHash('sha256')
    .update(`${Buffer.byteLength(method)}:${method}${Buffer.byteLength(input.route)}:${input.route}`)
    .update(input.body ?? '');
  return hash.digest('hex');
}
