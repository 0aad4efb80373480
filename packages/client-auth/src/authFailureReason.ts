import { isWalletError } from '@wallet/errors';

/**
 * Why a request was refused with UNAUTHENTICATED, in `details.reason`: the public contract (docs/api.md). A fixed
 * set, so clients and dashboards can branch on it; the message text is not part of the contract. Problems of the
 * request's form keep their own reason; everything that depends on the key (unknown, disabled, wrong signature) is
 * one reason, so a caller cannot learn which key ids exist.
 */
export const AuthFailureReason = {
  /** One of the four signing headers is absent or empty. */
  missingHeader: 'missing_header',
  /** X-Timestamp is not a whole number of epoch milliseconds. */
  badTimestamp: 'bad_timestamp',
  /** X-Timestamp is further than the window from server time, in either direction. */
  staleTimestamp: 'stale_timestamp',
  /** X-Nonce is not 16-64 characters of [A-Za-z0-9_-]. */
  badNonce: 'bad_nonce',
  /** Unknown key, disabled key, or a signature that is malformed or does not match (see {@link AuthFailureCause}). */
  invalidCredentials: 'invalid_credentials',
  /** This key already used this nonce inside the window. */
  replayedNonce: 'replayed_nonce',
} as const;

export type AuthFailureReason = (typeof AuthFailureReason)[keyof typeof AuthFailureReason];

/**
 * What exactly was wrong behind a public `invalid_credentials`: for the gateway's log only, never for the response
 * (read it with {@link authFailureCause}).
 */
export const AuthFailureCause = {
  /** No client has this X-Api-Key. */
  unknownKey: 'unknown_key',
  /** The client exists but ops disabled it. */
  disabledKey: 'disabled_key',
  /** X-Signature is not 64 hex characters, or matches neither the secret nor a previous one still in its overlap. */
  badSignature: 'bad_signature',
  /** Signed with the secret replaced by a rotation whose overlap has ended. */
  retiredSecret: 'retired_secret',
} as const;

export type AuthFailureCause = (typeof AuthFailureCause)[keyof typeof AuthFailureCause];

const causeProperty = 'authFailureCause';

/**
 * Attaches the precise cause to a refusal without putting it in the response: a non-enumerable property (and the
 * error's `cause`), which `toJSON` and the HTTP body never include.
 */
export function withAuthFailureCause<E extends Error>(error: E, cause: AuthFailureCause): E {
  Object.defineProperty(error, causeProperty, { value: cause, enumerable: false });
  Object.defineProperty(error, 'cause', { value: new Error(cause), enumerable: false, configurable: true, writable: true });
  return error;
}

/**
 * The precise cause behind an `invalid_credentials` refusal, for logs.
 * @param error anything thrown by RequestAuthenticator.authenticate
 * @returns the cause, or undefined for any other error
 */
export function authFailureCause(error: unknown): AuthFailureCause | undefined {
  if (!isWalletError(error, 'UNAUTHENTICATED')) return undefined;
  const value = (error as unknown as Record<string, unknown>)[causeProperty];
  return typeof value === 'string' ? (value as AuthFailureCause) : undefined;
}
