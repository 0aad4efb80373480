import { type KeyObject, createHmac, randomBytes, createSecretKey, timingSafeEqual } from 'node:crypto';
import { WalletError } from '@wallet/errors';
import type { Redis } from 'ioredis';
import { AuthFailureCause, AuthFailureReason, withAuthFailureCause } from './authFailureReason.js';
import { AuthHeader } from './authHeaders.js';
import { signaturePayload } from './computeSignature.js';
import { type CachedCredentials, CredentialCache, type CredentialLookup } from './CredentialCache.js';
import { credentialChangesChannel } from './credentialChanges.js';
import type { KeyScope } from './keyScopes.js';
import { keySegment } from './keySegment.js';
import type { SourceAllowList } from './sourceAllowList.js';
import { SourceLimiter } from './SourceLimiter.js';

/** Where the authenticator reports trouble with its change subscription (a pino logger fits). */
export type AuthenticatorLog = {
  readonly warn: (context: object, message: string) => void;
  readonly info: (context: object, message: string) => void;
};

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
   * How long a looked-up key is trusted in memory when no change announcement arrives (see {@link
   * RequestAuthenticator.start}): the backstop for a lost one. @default 30_000
   */
  readonly credentialCacheMs?: number;
  /** How long an unknown key id is remembered, so a just-created client is not locked out for long. @default 2_000 */
  readonly negativeCacheMs?: number;
  /** Bound on cached found key ids per gateway process (unknown ones have the same bound, apart). @default 10_000 */
  readonly maxCachedKeys?: number;
  /** Credential lookups in flight at once per process; more wait in line. @default 8 */
  readonly maxConcurrentLookups?: number;
  /** Lookups that may wait for a slot; beyond that a request needing one gets RATE_LIMITED. @default 256 */
  readonly maxQueuedLookups?: number;
  /**
   * Per source address (AuthenticateInput.sourceAddress): attempts that need a key lookup or fail on the key, as a
   * burst and a refill rate. Over it, requests that would need a lookup get RATE_LIMITED before any lookup; requests
   * whose key is cached still verify, and valid ones give their attempt back. @default { burst: 30, perSecond: 5 }
   */
  readonly sourceLimit?: { readonly burst: number; readonly perSecond: number };
  /** Bound on source addresses tracked per process. @default 10_000 */
  readonly maxTrackedSources?: number;
  /** For the change subscription's connection trouble. @default silent */
  readonly log?: AuthenticatorLog;
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
  /**
   * The peer's address (the gateway's `request.ip`), for the per-source limit on failing attempts. Absent: no
   * per-source limit (the bound on concurrent lookups still applies).
   */
  readonly sourceAddress?: string | undefined;
};

/** Who sent an authenticated request, and what its key may do (check with {@link authorizeKey}). */
export type AuthenticatedClient = {
  readonly clientId: string;
  readonly keyId: string;
  readonly scopes: readonly KeyScope[];
  readonly allowList: SourceAllowList;
};

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
 * UNAUTHENTICATED with a public `details.reason` from {@link AuthFailureReason}; whatever depends on the key is
 * `invalid_credentials`, with the precise {@link AuthFailureCause} on the error for the log only. A Redis or lookup
 * failure is propagated as is (the gateway answers 5xx: it fails closed, never open).
 *
 * Cheap checks run first and the nonce is recorded only after the signature verified, so neither garbage
 * nor a forged request costs a lookup or burns a legitimate client's nonce. Requests that need a lookup are
 * limited per source address and in concurrency; unknown, disabled and wrongly signed keys take the same work (two
 * HMACs, two constant-time compares), so timing does not tell them apart either.
 *
 * Call {@link start} once to follow accountsrv's change announcements (a disable or rotation then takes effect
 * at once), and {@link close} on shutdown.
 */
export class RequestAuthenticator {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #windowMs: number;
  readonly #nonceTtlMs: number;
  readonly #now: () => number;
  readonly #credentials: CredentialCache;
  readonly #sources: SourceLimiter;
  readonly #log: AuthenticatorLog | undefined;
  /** HMAC key for requests without a usable key: the same work as a real verification, and it never matches. */
  readonly #dummyKey: KeyObject = createSecretKey(randomBytes(32));
  #subscriber: Redis | undefined;
  #subscribed: Promise<void> | undefined;

  constructor(options: RequestAuthenticatorOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#windowMs = options.windowMs ?? 30_000;
    // A timestamp is accepted from windowMs before to windowMs after server time, so a nonce first seen at
    // server time t can be replayed (with its original timestamp) until t + 2 * windowMs at the latest.
    this.#nonceTtlMs = 2 * this.#windowMs + nonceMarginMs;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    const maxCachedKeys = options.maxCachedKeys ?? 10_000;
    this.#credentials = new CredentialCache({
      lookup: options.lookup,
      ttlMs: options.credentialCacheMs ?? 30_000,
      negativeTtlMs: Math.min(options.negativeCacheMs ?? 2_000, options.credentialCacheMs ?? 30_000),
      maxEntries: maxCachedKeys,
      maxNegativeEntries: maxCachedKeys,
      maxConcurrentLookups: options.maxConcurrentLookups ?? 8,
      maxQueuedLookups: options.maxQueuedLookups ?? 256,
      now: this.#now,
    });
    this.#sources = new SourceLimiter({
      burst: options.sourceLimit?.burst ?? 30,
      perSecond: options.sourceLimit?.perSecond ?? 5,
      maxSources: options.maxTrackedSources ?? 10_000,
      now: this.#now,
    });
  }

  /**
   * Follows accountsrv's announcements of changed credentials (disable, enable, rotation) on Redis pub/sub, on a
   * connection of its own (a duplicate of `redis`), and drops the changed key from the cache. On every
   * (re)subscription the whole cache is cleared, so an announcement missed while disconnected cannot leave a stale
   * entry. Idempotent.
   * @returns once subscribed
   */
  start(): Promise<void> {
    if (this.#subscribed !== undefined) return this.#subscribed;
    const channel = credentialChangesChannel(this.#prefix);
    const subscriber = this.#redis.duplicate({
      lazyConnect: true,
      // Re-subscribed by hand on 'ready', so the cache is cleared only once the subscription is back.
      autoResubscribe: false,
      enableAutoPipelining: false,
      enableOfflineQueue: true,
      connectionName: `client-auth:${keySegment(this.#prefix)}changes`,
    });
    this.#subscriber = subscriber;
    let first: Promise<void> | undefined;
    subscriber.on('message', (from: string, keyId: string) => {
      if (from === channel) this.#credentials.invalidate(keyId);
    });
    subscriber.on('error', (error: unknown) => this.#log?.warn({ err: error }, 'credential change subscription: connection error'));
    subscriber.on('ready', () => {
      const subscribing = subscriber.subscribe(channel).then(() => this.#credentials.clear());
      first ??= subscribing;
      subscribing.catch((error: unknown) => {
        this.#log?.warn({ err: error }, 'credential change subscription failed; reconnecting');
        subscriber.disconnect(true);
      });
    });
    this.#subscribed = subscriber.connect().then(() => first);
    return this.#subscribed;
  }

  /** Stops following changes (the cache then relies on its TTL). */
  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#subscribed = undefined;
    if (subscriber !== undefined) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /**
   * Drops one key's cached credentials in this process (what a change announcement does).
   * @param keyId the API key id
   */
  invalidate(keyId: string): void {
    this.#credentials.invalidate(keyId);
  }

  /**
   * Authenticates one request.
   * @param request headers, method, target, raw body and source address as received
   * @returns the client and key that signed it
   * @throws WalletError UNAUTHENTICATED with `details.reason` when the request is not validly signed;
   * RATE_LIMITED with `details.retryAfterSeconds` when its source (or the gateway) makes too many lookups
   */
  async authenticate(request: AuthenticateInput): Promise<AuthenticatedClient> {
    const { headers, sourceAddress } = request;
    const keyId = readHeader(headers, 'x-api-key', AuthHeader.apiKey);
    const timestamp = readHeader(headers, 'x-timestamp', AuthHeader.timestamp);
    const nonce = readHeader(headers, 'x-nonce', AuthHeader.nonce);
    const signature = readHeader(headers, 'x-signature', AuthHeader.signature);

    if (!timestampPattern.test(timestamp)) throw refuse(AuthFailureReason.badTimestamp);
    if (Math.abs(Number(timestamp) - this.#now()) > this.#windowMs) throw refuse(AuthFailureReason.staleTimestamp);
    if (!noncePattern.test(nonce)) throw refuse(AuthFailureReason.badNonce);
    if (keyId.length > maxKeyIdLength) throw this.#invalid(sourceAddress, AuthFailureCause.unknownKey);

    let credentials = this.#credentials.peek(keyId);
    let taken = false;
    if (credentials === undefined) {
      // Limited before the lookup: a flood of made-up keys from one address costs at most its budget of lookups. A
      // request that joins a lookup of its key already in flight costs nothing and takes nothing: a client's burst
      // of requests when its key is not cached (first use, or the cache entry expired) would otherwise use up its
      // address's budget while the one lookup runs and be refused. Joiners that then fail are charged below.
      if (sourceAddress !== undefined && !this.#credentials.isLoading(keyId)) {
        const waitMs = this.#sources.take(sourceAddress);
        if (waitMs > 0) {
          throw new WalletError('RATE_LIMITED', 'too many failed authentications from this address', {
            details: { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
          });
        }
        taken = true;
      }
      try {
        credentials = await this.#credentials.get(keyId);
      } catch (error) {
        if (taken) this.#sources.refund(sourceAddress!);
        throw error;
      }
    }

    const cause = this.#verify(credentials, signature, {
      timestamp,
      nonce,
      method: request.method,
      pathWithQuery: request.pathWithQuery,
      body: request.rawBody,
    });
    if (cause !== undefined) throw this.#invalid(taken ? undefined : sourceAddress, cause);
    if (taken) this.#sources.refund(sourceAddress!);
    const verified = credentials!;

    // Recorded only now: an unsigned request must not be able to burn a client's nonce.
    const key = `${this.#prefix}nonce:${keySegment(keyId)}:${nonce}`;
    const fresh = await this.#redis.set(key, '1', 'PX', this.#nonceTtlMs, 'NX');
    if (fresh === null) throw refuse(AuthFailureReason.replayedNonce);

    return { clientId: verified.clientId, keyId: verified.keyId, scopes: verified.scopes, allowList: verified.allowList };
  }

  /**
   * Checks the signature against the key's secret and its previous one. Always two HMACs and two constant-time
   * compares (a dummy key standing in for a missing one) whatever the key's state, so the answer's timing does not
   * say whether the key exists, is disabled, or is being rotated.
   * @returns undefined when valid, else why not
   */
  #verify(
    credentials: CachedCredentials | undefined,
    signature: string,
    input: Parameters<typeof signaturePayload>[0],
  ): AuthFailureCause | undefined {
    const payload = signaturePayload(input);
    const current = createHmac('sha256', credentials?.key ?? this.#dummyKey)
      .update(payload)
      .digest();
    const previous = createHmac('sha256', credentials?.previous?.key ?? this.#dummyKey)
      .update(payload)
      .digest();
    // A malformed signature is compared as 32 zero bytes (which no HMAC gives in practice) so it takes the same path.
    const wellFormed = signaturePattern.test(signature);
    const given = wellFormed ? Buffer.from(signature, 'hex') : Buffer.alloc(32);
    const matchesCurrent = timingSafeEqual(current, given);
    const matchesPrevious = timingSafeEqual(previous, given);
    if (credentials === undefined) return AuthFailureCause.unknownKey;
    if (!credentials.active) return AuthFailureCause.disabledKey;
    if (!wellFormed) return AuthFailureCause.badSignature;
    if (matchesCurrent) return undefined;
    if (matchesPrevious && credentials.previous !== undefined) {
      return this.#now() < credentials.previous.expiresAt ? undefined : AuthFailureCause.retiredSecret;
    }
    return AuthFailureCause.badSignature;
  }

  /** An `invalid_credentials` refusal, counted against its source (when not already taken from its budget). */
  #invalid(sourceAddress: string | undefined, cause: AuthFailureCause): WalletError<'UNAUTHENTICATED'> {
    if (sourceAddress !== undefined) this.#sources.charge(sourceAddress);
    return withAuthFailureCause(refuse(AuthFailureReason.invalidCredentials), cause);
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
