/**
 * Why a request was refused with UNAUTHENTICATED, in `details.reason`. A fixed set, so clients and
 * dashboards can branch on it; the message text is not part of the contract.
 */
export const AuthFailureReason = {
  /** One of the four signing headers is absent or empty. */
  missingHeader: 'missing_header',
  /** No client has this X-Api-Key. */
  unknownKey: 'unknown_key',
  /** The client exists but ops disabled it. */
  disabledKey: 'disabled_key',
  /** X-Timestamp is not a whole number of epoch milliseconds. */
  badTimestamp: 'bad_timestamp',
  /** X-Timestamp is further than the window from server time, in either direction. */
  staleTimestamp: 'stale_timestamp',
  /** X-Nonce is not 16-64 characters of [A-Za-z0-9_-]. */
  badNonce: 'bad_nonce',
  /** X-Signature is not 64 hex characters, or does not match the request. */
  badSignature: 'bad_signature',
  /** This key already used this nonce inside the window. */
  replayedNonce: 'replayed_nonce',
} as const;

export type AuthFailureReason = (typeof AuthFailureReason)[keyof typeof AuthFailureReason];
