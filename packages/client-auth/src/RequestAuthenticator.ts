import { timingSafeEqual } from 'node:crypto';
import { WalletError } from '@wallet/errors';
import type { Redis } from 'ioredis';
import { AuthFailureReason } from './authFailureReason.js';
import { AuthHeader } from './authHeaders.js';
import { computeSignature } from './computeSignature.js';
import { CredentialCache, type CredentialLookup } from './CredentialCache.js';
import { keySegment } from './keySegment.js';

export type RequestAuthenticatorOptions = {
  /** Shared by every gateway instance, so a nonce used on one is refused on all. */
  readonly redis: Redis;
  /** Start of every Redis key, e.g. `wallet:prod:`. */
  readonly prefix: string;
  /** Finds a client's credentials by API key id (accountsrv GetClientCredentials). */
  readonly lookup: CredentialLookup;
  /** Largest accepted distance between X-Timestamp and server time, either way. @default 30_000 */
  readonly windowMs?: number;
  /** Server clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /**
   * How long a looked-up key is trusted in memory: a client disabled by ops keeps working on each gateway
   * for up to this long. @default 30_000
   */
  readonly credentialCacheMs?: number;
  /** How long an unknown key id is remembered, so a just-created client is not locked out for long. @default 2_000 */
  readonly negativeCacheMs?: number;
  /** Bound on cached key ids per gateway process. @default 10_000 */
  readonly maxCachedKeys?: number;
};

/** A request as the gateway received it, before any parsing. */
export type AuthenticateInput = {
  /** Incoming headers; names are matched case-insensitively (Node already lower-cases them). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly method: string;
  /** The request target exactly as received (`req.url`), never re-encoded or normalised. */
  readonly pathWithQuery: string;
  /** The body bytes exactly as received; absent or empty for a bodyless request. */
  readonly rawBody?: string | Uint8Array | undefined;
};

/** Who sent an authenticated request. */
export type AuthenticatedClient = { readonly clientId: string; readonly keyId: string };

const timestampPattern = /^\d{1,15}$/;
const noncePattern = /^[A-Za-z0-9_-]{16,64}$/;
const signaturePattern = /^[0-9a-fA-F]{64}$/;
// Longer key ids are refused without a lookup, so oversized garbage never reaches accountsrv or the cache.
const maxKeyIdLength = 128;
// Gateways' clocks differ slightly: keep nonces a little longer than the span in which their timestamp is accepted.
const nonceMarginMs = 5_000;

/**
 * Verifies the request signature of docs/api.md: headers present, timestamp within the window, nonce
 * well-formed and unused, key known and active, HMAC matching in constant time. Every refusal is
 * UNAUTHENTICATED with a `details.reason` from {@link AuthFailureReason}; a Redis or lookup failure is
 * propagated as is (the gateway answers 5xx: it fails closed, never open).
 *
 * Cheap checks run first and the nonce is recorded only after the signature verified, so neither garbage
 * nor a forged request costs a lookup or burns a legitimate client's nonce.
 */
export class RequestAuthenticator {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #windowMs: number;
  readonly #nonceTtlMs: number;
  readonly #now: () => number;
  readonly #credentials: CredentialCache;

  constructor(options: RequestAuthenticatorOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#windowMs = options.windowMs ?? 30_000;
    // A timestamp is accepted from windowMs before to windowMs after server time, so a nonce first seen at
    // server time t can be replayed (with its original timestamp) until t + 2 * windowMs at the latest.
    this.#nonceTtlMs = 2 * this.#windowMs + nonceMarginMs;
    this.#now = options.now ?? Date.now;
    this.#credentials = new CredentialCache({
      lookup: options.lookup,
      ttlMs: options.credentialCacheMs ?? 30_000,
      negativeTtlMs: Math.min(options.negativeCacheMs ?? 2_000, options.credentialCacheMs ?? 30_000),
      maxEntries: options.maxCachedKeys ?? 10_000,
      now: this.#now,
    });
  }

  /**
   * Authenticates one request.
   * @param request headers, method, target and raw body as received
   * @returns the client and key that signed it
   * @throws WalletError UNAUTHENTICATED with `details.reason` when the request is not validly signed
   */
  async authenticate(request: AuthenticateInput): Promise<AuthenticatedClient> {
    const { headers } = request;
    const keyId = readHeader(headers, 'x-api-key', AuthHeader.apiKey);
    const timestamp = readHeader(headers, 'x-timestamp', AuthHeader.timestamp);
    const nonce = readHeader(headers, 'x-nonce', AuthHeader.nonce);
    const signature = readHeader(headers, 'x-signature', AuthHeader.signature);

    if (!timestampPattern.test(timestamp)) throw refuse(AuthFailureReason.badTimestamp);
    if (Math.abs(Number(timestamp) - this.#now()) > this.#windowMs) throw refuse(AuthFailureReason.staleTimestamp);
    if (!noncePattern.test(nonce)) throw refuse(AuthFailureReason.badNonce);
    if (!signaturePattern.test(signature)) throw refuse(AuthFailureReason.badSignature);
    if (keyId.length > maxKeyIdLength) throw refuse(AuthFailureReason.unknownKey);

    const credentials = await this.#credentials.get(keyId);
    if (credentials === undefined) throw refuse(AuthFailureReason.unknownKey);
    if (!credentials.active) throw refuse(AuthFailureReason.disabledKey);

    const expected = computeSignature(credentials.key, {
      timestamp,
      nonce,
      method: request.method,
      pathWithQuery: request.pathWithQuery,
      body: request.rawBody,
    });
    // Both sides are 32 bytes here (the pattern above fixed the length), which timingSafeEqual requires.
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw refuse(AuthFailureReason.badSignature);

    // Recorded only now: an unsigned request must not be able to burn a client's nonce.
    const key = `${this.#prefix}nonce:${keySegment(keyId)}:${nonce}`;
    const fresh = await this.#redis.set(key, '1', 'PX', this.#nonceTtlMs, 'NX');
    if (fresh === null) throw refuse(AuthFailureReason.replayedNonce);

    return { clientId: credentials.clientId, keyId: credentials.keyId };
  }
}

function refuse(reason: AuthFailureReason, details: Readonly<Record<string, unknown>> = {}): WalletError<'UNAUTHENTICATED'> {
  return new WalletError('UNAUTHENTICATED', 'request authentication failed', { details: { reason, ...details } });
}

/**
 * One signing header's value, matched by name case-insensitively. Node hands custom headers over
 * lower-cased, so that lookup is tried first; other callers (fetch-style objects, tests) may not.
 */
function readHeader(headers: AuthenticateInput['headers'], lowerName: string, name: AuthHeader): string {
  let value = headers[lowerName];
  if (value === undefined) {
    for (const [key, candidate] of Object.entries(headers)) {
      if (key.toLowerCase() === lowerName) {
        value = candidate;
        break;
      }
    }
  }
  // A repeated header is joined as Node joins unknown headers; the format checks then refuse it.
  const text = typeof value === 'string' ? value : value?.join(', ');
  if (text === undefined || text === '') throw refuse(AuthFailureReason.missingHeader, { header: name });
  return text;
}
