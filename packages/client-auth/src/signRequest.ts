import { randomBytes } from 'node:crypto';
import { AuthHeader, type SignedHeaders } from './authHeaders.js';
import { computeSignature } from './computeSignature.js';

export type SignRequestInput = {
  /** The client's API key id (X-Api-Key). */
  readonly keyId: string;
  /** The client's secret, as printed once by `walletctl clients create`. */
  readonly secret: string | Uint8Array;
  /** HTTP method; upper-cased before signing. */
  readonly method: string;
  /** The request target exactly as sent on the wire: path plus `?query`, no scheme or host. */
  readonly pathWithQuery: string;
  /** The body bytes exactly as sent (a string is signed as its UTF-8 bytes); absent or empty for GET. */
  readonly body?: string | Uint8Array | undefined;
  /** Epoch milliseconds. @default Date.now() */
  readonly timestamp?: number | undefined;
  /** Single-use nonce. @default 24 random base64url characters */
  readonly nonce?: string | undefined;
};

/**
 * Signs a request as docs/api.md specifies: the reference client. It signs whatever it is given without
 * validating it, so tests can build requests the gateway must refuse (bad nonces, stale timestamps).
 * @param input key, secret and the request to sign
 * @returns the four X-* headers to send with the request
 */
export function signRequest(input: SignRequestInput): SignedHeaders {
  const timestamp = String(input.timestamp ?? Date.now());
  // 18 random bytes: 144 bits, so two clients never collide, and exactly 24 base64url characters.
  const nonce = input.nonce ?? randomBytes(18).toString('base64url');
  const signature = computeSignature(input.secret, {
    timestamp,
    nonce,
    method: input.method,
    pathWithQuery: input.pathWithQuery,
    body: input.body,
  });
  return {
    [AuthHeader.apiKey]: input.keyId,
    [AuthHeader.timestamp]: timestamp,
    [AuthHeader.nonce]: nonce,
    [AuthHeader.signature]: signature.toString('hex'),
  };
}
