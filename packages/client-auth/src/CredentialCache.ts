import { type KeyObject, createSecretKey } from 'node:crypto';

/** A client's signing credentials, as the gateway's lookup (accountsrv GetClientCredentials) returns them. */
export type ClientCredentials = {
  readonly clientId: string;
  readonly keyId: string;
  readonly secret: string;
  /** false once ops disabled the client. */
  readonly active: boolean;
};

/** Finds a client by API key id; `undefined` when there is none. Errors (store down) are propagated, not cached. */
export type CredentialLookup = (keyId: string) => Promise<ClientCredentials | undefined>;

/** Credentials with the secret imported once as a KeyObject, so HMAC does not re-import it per request. */
export type CachedCredentials = {
  readonly clientId: string;
  readonly keyId: string;
  readonly active: boolean;
  readonly key: KeyObject;
};

export type CredentialCacheOptions = {
  readonly lookup: CredentialLookup;
  /** How long a found key (active or disabled) is trusted. */
  readonly ttlMs: number;
  /** How long "no such key" is remembered: short, so a client created a moment ago works almost at once. */
  readonly negativeTtlMs: number;
  /** Bound on remembered keys, so a flood of random key ids cannot grow memory without limit. */
  readonly maxEntries: number;
  readonly now: () => number;
};

type Entry = { readonly value: CachedCredentials | undefined; readonly expiresAt: number };

/**
 * In-memory, per-process cache in front of the credential lookup. The gateway authenticates every request,
 * and a round trip to accountsrv per request would dominate its latency; the price is that a disabled or
 * re-keyed client keeps working on each gateway for up to `ttlMs`. Concurrent misses for one key share one
 * lookup, so a cold start under load does not stampede accountsrv.
 */
export class CredentialCache {
  readonly #options: CredentialCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<CachedCredentials | undefined>>();

  constructor(options: CredentialCacheOptions) {
    this.#options = options;
  }

  /**
   * The credentials for `keyId`, from memory while fresh, else from the lookup.
   * @param keyId API key id from the request
   * @returns the credentials, or undefined when no client has this key
   */
  get(keyId: string): Promise<CachedCredentials | undefined> {
    const entry = this.#entries.get(keyId);
    if (entry !== undefined && entry.expiresAt > this.#options.now()) return Promise.resolve(entry.value);
    const loading = this.#loading.get(keyId);
    if (loading !== undefined) return loading;
    const load = this.#load(keyId).finally(() => this.#loading.delete(keyId));
    this.#loading.set(keyId, load);
    return load;
  }

  async #load(keyId: string): Promise<CachedCredentials | undefined> {
    const found = await this.#options.lookup(keyId);
    // A record for another key id, or with an empty secret (anyone could sign with it), is treated as not found.
    const value: CachedCredentials | undefined =
      found === undefined || found.keyId !== keyId || found.secret.length === 0
        ? undefined
        : { clientId: found.clientId, keyId: found.keyId, active: found.active, key: createSecretKey(Buffer.from(found.secret, 'utf8')) };
    const ttl = value === undefined ? this.#options.negativeTtlMs : this.#options.ttlMs;
    this.#entries.delete(keyId);
    if (this.#entries.size >= this.#options.maxEntries) {
      // Map iterates in insertion order and a refresh re-inserts: the first entry is the least recently loaded.
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(keyId, { value, expiresAt: this.#options.now() + ttl });
    return value;
  }
}
