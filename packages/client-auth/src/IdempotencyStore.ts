import { WalletError } from '@wallet/errors';
import type { Redis } from 'ioredis';
import { keySegment } from './keySegment.js';
import { LuaScript } from './LuaScript.js';
import { parseIdempotencyKey } from './parseIdempotencyKey.js';
import { type RequestHashInput, requestHash } from './requestHash.js';

export type IdempotencyStoreOptions = {
  /** Shared by every gateway instance, so a retry landing on another instance sees the first attempt. */
  readonly redis: Redis;
  /** Start of every Redis key, e.g. `wallet:prod:`. */
  readonly prefix: string;
  /** How long a completed response is kept (docs/api.md: 24 h). @default 86_400_000 */
  readonly ttlMs?: number;
  /**
   * How long an in-progress claim holds the key without completing: long enough for the slowest request,
   * short enough that a gateway that crashed mid-request does not block the key for a day. @default 60_000
   */
  readonly lockMs?: number;
};

/** What {@link IdempotencyStore.begin} found: run the request, or answer with the stored first response. */
export type IdempotencyBegin = { readonly kind: 'new' } | { readonly kind: 'replay'; readonly status: number; readonly body: string };

// One Redis hash per (client, key): state "running" (claimed, with the request hash, expiring after
// lockMs) or "done" (plus the first response's status and body, expiring after ttlMs).

// KEYS[1] record   ARGV[1] request hash   ARGV[2] lockMs
// returns {'new'} | {'replay', status, body} | {'reused'} | {'in_progress'}
const beginScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'state', 'hash', 'status', 'body')
if not record[1] then
  redis.call('HSET', KEYS[1], 'state', 'running', 'hash', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'new'}
end
if record[2] ~= ARGV[1] then return {'reused'} end
if record[1] == 'running' then return {'in_progress'} end
return {'replay', record[3], record[4]}
`);

// Stores the response only over our own claim: never over a completed record, nor after the claim expired
// and was released. KEYS[1] record   ARGV[1] request hash   ARGV[2] status   ARGV[3] body   ARGV[4] ttlMs
const completeScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'state', 'hash')
if record[1] ~= 'running' or record[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`);

// KEYS[1] record   ARGV[1] request hash
const abandonScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'state', 'hash')
if record[1] ~= 'running' or record[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * The gateway's `Idempotency-Key` store (docs/api.md): claims a key before a POST runs, keeps its first
 * response for `ttlMs`, and answers retries from it.
 *
 * Redis is a cache here, not the source of truth: accountsrv and transrv also enforce the idempotency key
 * with unique keys in MySQL, so a flushed or failed-over Redis, or an expired claim, can at worst let a
 * retry through to a service, which then finds the existing object instead of creating a second one.
 *
 * Usage per POST: `begin`; on `replay` answer with it (`Idempotent-Replayed: true`); on `new` run the
 * request, then `complete` if {@link shouldStoreResponse} says so, else `abandon`.
 */
export class IdempotencyStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #lockMs: number;

  constructor(options: IdempotencyStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#ttlMs = positiveMs('ttlMs', options.ttlMs ?? 86_400_000);
    this.#lockMs = positiveMs('lockMs', options.lockMs ?? 60_000);
  }

  /**
   * The request fingerprint to pass to begin/complete/abandon; see {@link requestHash}.
   * @param input method, concrete path and raw body
   * @returns 64 hex characters
   */
  requestHash(input: RequestHashInput): string {
    return requestHash(input);
  }

  /**
   * Claims `key` for this request, or finds what an earlier request with the same key did.
   * @param clientId the authenticated client (keys are per client)
   * @param key the Idempotency-Key header
   * @param hash {@link requestHash} of this request
   * @returns `new` when this request now holds the key, `replay` with the stored first response
   * @throws WalletError VALIDATION_FAILED (malformed key), IDEMPOTENCY_KEY_REUSED (the key was used for a
   *   different request), IDEMPOTENCY_IN_PROGRESS (the same request is still running)
   */
  async begin(clientId: string, key: string, hash: string): Promise<IdempotencyBegin> {
    const reply = (await beginScript.run(this.#redis, [this.#recordKey(clientId, key)], [hash, this.#lockMs])) as [string, ...string[]];
    switch (reply[0]) {
      case 'new':
        return { kind: 'new' };
      case 'replay':
        return { kind: 'replay', status: Number(reply[1]), body: reply[2] ?? '' };
      case 'reused':
        throw new WalletError('IDEMPOTENCY_KEY_REUSED', undefined, { details: { idempotencyKey: key } });
      case 'in_progress':
        throw new WalletError('IDEMPOTENCY_IN_PROGRESS', undefined, { details: { idempotencyKey: key } });
      default:
        throw new WalletError('INTERNAL', 'unexpected idempotency script reply', { details: { reply: reply[0] } });
    }
  }

  /**
   * Stores the first response for `key`, for `ttlMs`, if this request still holds the claim.
   * @param clientId the authenticated client
   * @param key the Idempotency-Key header
   * @param hash the hash given to begin
   * @param status HTTP status of the response
   * @param body response body, replayed verbatim
   * @returns false when the claim was lost (expired, or already completed): nothing was written
   */
  async complete(clientId: string, key: string, hash: string, status: number, body: string): Promise<boolean> {
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new WalletError('INTERNAL', 'not an HTTP status', { details: { status } });
    }
    const reply = await completeScript.run(this.#redis, [this.#recordKey(clientId, key)], [hash, status, body, this.#ttlMs]);
    return reply === 1;
  }

  /**
   * Releases this request's claim so a retry can run (the request failed transiently, see {@link shouldStoreResponse}).
   * @param clientId the authenticated client
   * @param key the Idempotency-Key header
   * @param hash the hash given to begin
   * @returns false when there was no claim of this request to release
   */
  async abandon(clientId: string, key: string, hash: string): Promise<boolean> {
    const reply = await abandonScript.run(this.#redis, [this.#recordKey(clientId, key)], [hash]);
    return reply === 1;
  }

  #recordKey(clientId: string, key: string): string {
    // The key is last and the client id has its ':' escaped, so two (client, key) pairs never share a record.
    return `${this.#prefix}idem:${keySegment(clientId)}:${parseIdempotencyKey(key)}`;
  }
}

function positiveMs(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new WalletError('CONFIG_INVALID', `${name} must be a positive whole number of ms`, { details: { [name]: value } });
  }
  return value;
}
