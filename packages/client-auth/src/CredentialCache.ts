import { type KeyObject, createSecretKey } from 'node:crypto';
import { WalletError } from '@wallet/errors';
import { type KeyScope, knownKeyScopes } from './keyScopes.js';
import { SourceAllowList, parseAllowList } from './sourceAllowList.js';

/** An API key's signing credentials and limits, as the gateway's lookup (accountsrv GetClientCredentials) returns them. */
export type ClientCredentials = {
  readonly clientId: string;
  readonly keyId: string;
  readonly secret: string;
  /** false once ops disabled the key or its client. */
  readonly active: boolean;
  /** What the key may do (KeyScope names; others are ignored). None: the key can do nothing. */
  readonly scopes: readonly string[];
  /** Source addresses the key may be used from (CIDRs); empty: any. */
  readonly allowedCidrs: readonly string[];
  /** The secret before the last rotation, accepted until `previousSecretExpiresAt`; absent or empty when none. */
  readonly previousSecret?: string | undefined;
  /** When `previousSecret` stops being accepted: a Date, epoch ms, or ISO 8601 text; absent or empty when none. */
  readonly previousSecretExpiresAt?: Date | number | string | undefined;
};

/** Finds a client by API key id; `undefined` when there is none. Errors (store down) are propagated, not cached. */
export type CredentialLookup = (keyId: string) => Promise<ClientCredentials | undefined>;

/** Credentials with each secret imported once as a KeyObject, so HMAC does not re-import it per request. */
export type CachedCredentials = {
  readonly clientId: string;
  readonly keyId: string;
  readonly active: boolean;
  readonly scopes: readonly KeyScope[];
  readonly allowList: SourceAllowList;
  readonly key: KeyObject;
  /** The previous secret and when it stops working (epoch ms); checked per request, so no reload is needed then. */
  readonly previous: { readonly key: KeyObject; readonly expiresAt: number } | undefined;
};

export type CredentialCacheOptions = {
  readonly lookup: CredentialLookup;
  /** How long a found key (active or disabled) is trusted without a change announcement. */
  readonly ttlMs: number;
  /** How long "no such key" is remembered: short, so a client created a moment ago works almost at once. */
  readonly negativeTtlMs: number;
  /** Bound on remembered found keys, so memory stays bounded. */
  readonly maxEntries: number;
  /**
   * Bound on remembered unknown keys, kept apart from the found ones: a flood of random key ids evicts only other
   * random key ids, never a real client's entry (whose eviction would cost it a lookup per request).
   */
  readonly maxNegativeEntries: number;
  /** Lookups in flight at once; further ones wait in line. */
  readonly maxConcurrentLookups: number;
  /** Lookups allowed to wait for a slot; beyond that a miss is refused with RATE_LIMITED (the gateway is flooded). */
  readonly maxQueuedLookups: number;
  readonly now: () => number;
};

type Entry = { readonly value: CachedCredentials | undefined; readonly expiresAt: number };

/**
 * In-memory, per-process cache in front of the credential lookup. The gateway authenticates every request, and a
 * round trip to accountsrv per request would dominate its latency. Changes made by ops reach it through
 * {@link invalidate} (accountsrv announces them on Redis pub/sub) and {@link clear} (on every (re)subscription);
 * `ttlMs` is only the backstop for an announcement that got lost. Concurrent misses for one key share one lookup, and
 * at most `maxConcurrentLookups` run at once, so neither a cold start nor a flood of unknown keys stampedes accountsrv.
 */
export class CredentialCache {
  readonly #options: CredentialCacheOptions;
  readonly #found = new Map<string, Entry>();
  readonly #unknown = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<CachedCredentials | undefined>>();
  /** Bumped by every invalidation: a lookup that started before one must not store what it read. */
  #generation = 0;
  #activeLookups = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: CredentialCacheOptions) {
    this.#options = options;
  }

  /**
   * The fresh cached credentials of `keyId`, without any lookup.
   * @returns the credentials when a found key is cached and fresh; undefined when a lookup (or the negative cache)
   * would have to answer
   */
  peek(keyId: string): CachedCredentials | undefined {
    const entry = this.#found.get(keyId);
    return entry !== undefined && entry.expiresAt > this.#options.now() ? entry.value : undefined;
  }

  /** Whether a lookup of `keyId` is in flight: a miss for it now joins that lookup and costs nothing more. */
  isLoading(keyId: string): boolean {
    return this.#loading.has(keyId);
  }

  /**
   * The credentials for `keyId`, from memory while fresh, else from the lookup.
   * @param keyId API key id from the request
   * @returns the credentials, or undefined when no client has this key
   * @throws WalletError RATE_LIMITED when too many lookups are already waiting; the lookup's own errors
   */
  get(keyId: string): Promise<CachedCredentials | undefined> {
    const now = this.#options.now();
    const entry = this.#found.get(keyId) ?? this.#unknown.get(keyId);
    if (entry !== undefined && entry.expiresAt > now) return Promise.resolve(entry.value);
    const loading = this.#loading.get(keyId);
    if (loading !== undefined) return loading;
    const load = this.#load(keyId).finally(() => {
      if (this.#loading.get(keyId) === load) this.#loading.delete(keyId);
    });
    this.#loading.set(keyId, load);
    return load;
  }

  /**
   * Forgets `keyId`: the next request for it looks it up again. A lookup already in flight is not stored.
   * @param keyId the API key id whose credentials changed
   */
  invalidate(keyId: string): void {
    this.#generation++;
    this.#found.delete(keyId);
    this.#unknown.delete(keyId);
    this.#loading.delete(keyId);
  }

  /** Forgets every key (after a gap in the change announcements, any entry may be stale). */
  clear(): void {
    this.#generation++;
    this.#found.clear();
    this.#unknown.clear();
    this.#loading.clear();
  }

  /** How many keys are cached (found, unknown), for tests and metrics. */
  get size(): { found: number; unknown: number } {
    return { found: this.#found.size, unknown: this.#unknown.size };
  }

  async #load(keyId: string): Promise<CachedCredentials | undefined> {
    const generation = this.#generation;
    await this.#acquire();
    let found: ClientCredentials | undefined;
    try {
      found = await this.#options.lookup(keyId);
    } finally {
      this.#release();
    }
    const value = toCached(keyId, found);
    if (generation !== this.#generation) return value; // changed meanwhile: serve this caller, remember nothing
    const now = this.#options.now();
    if (value === undefined)
      store(this.#unknown, keyId, { value, expiresAt: now + this.#options.negativeTtlMs }, this.#options.maxNegativeEntries);
    else {
      this.#unknown.delete(keyId);
      store(this.#found, keyId, { value, expiresAt: now + this.#options.ttlMs }, this.#options.maxEntries);
    }
    return value;
  }

  async #acquire(): Promise<void> {
    if (this.#activeLookups < this.#options.maxConcurrentLookups) {
      this.#activeLookups++;
      return;
    }
    if (this.#waiting.length >= this.#options.maxQueuedLookups) {
      throw new WalletError('RATE_LIMITED', 'too many credential lookups in progress', { details: { retryAfterSeconds: 1 } });
    }
    // The slot is handed over by #release (the count stays the same).
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#activeLookups--;
  }
}

function store(map: Map<string, Entry>, keyId: string, entry: Entry, maxEntries: number): void {
  map.delete(keyId);
  if (map.size >= maxEntries) {
    // Map iterates in insertion order and a refresh re-inserts: the first entry is the least recently loaded.
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(keyId, entry);
}

/**
 * A record for another key id, or with an empty secret (anyone could sign with it), is treated as not found; so is
 * one whose allow-list does not parse (accountsrv stores only valid ones: failing closed, the key works nowhere
 * rather than everywhere).
 */
function toCached(keyId: string, found: ClientCredentials | undefined): CachedCredentials | undefined {
  if (found === undefined || found.keyId !== keyId || found.secret.length === 0) return undefined;
  let allowList: SourceAllowList;
  try {
    allowList = new SourceAllowList(parseAllowList(found.allowedCidrs));
  } catch {
    return undefined;
  }
  const expiresAt = toEpochMs(found.previousSecretExpiresAt);
  const previous =
    found.previousSecret !== undefined && found.previousSecret.length > 0 && expiresAt !== undefined
      ? { key: secretKey(found.previousSecret), expiresAt }
      : undefined;
  return {
    clientId: found.clientId,
    keyId: found.keyId,
    active: found.active,
    scopes: knownKeyScopes(found.scopes),
    allowList,
    key: secretKey(found.secret),
    previous,
  };
}

const secretKey = (secret: string): KeyObject => createSecretKey(Buffer.from(secret, 'utf8'));

function toEpochMs(value: Date | number | string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
