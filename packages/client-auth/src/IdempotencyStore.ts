import { randomBytes } from 'node:crypto';
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
   * The lease of an in-progress claim: it lapses this long after its last renewal. The gateway running the request
   * renews it ({@link IdempotencyStore.hold}) until it completes or abandons it, so only a claim whose gateway died
   * (or stalled longer than this) lapses, and a retry may then run. @default 5_000
   */
  readonly lockMs?: number;
  /** How often {@link IdempotencyStore.hold} renews the lease. @default a third of lockMs */
  readonly renewEveryMs?: number;
};

/**
 * What {@link IdempotencyStore.begin} found: this request now holds the key (`owner` names this claim for
 * renew/complete/abandon), or the stored first response to answer with.
 */
export type IdempotencyBegin =
  { readonly kind: 'new'; readonly owner: string } | { readonly kind: 'replay'; readonly status: number; readonly body: string };

/** A running renewal of a claim's lease ({@link IdempotencyStore.hold}). */
export type IdempotencyHold = {
  /** Stops renewing (idempotent). Call it before completing or abandoning the claim. */
  readonly stop: () => void;
};

// One Redis hash per (client, key): state "running" (claimed, with the request hash and the claim's owner token, a
// lease that lapses lockMs after the last renewal) or "done" (plus the first response's status and body, expiring
// after ttlMs). The owner token is random per claim, so only the request that made a claim renews, completes or
// abandons it: not a gateway whose lease lapsed and whose key another gateway has claimed since.

// KEYS[1] record   ARGV[1] request hash   ARGV[2] lockMs   ARGV[3] owner token
// returns {'new'} | {'replay', status, body} | {'reused'} | {'in_progress'}
const beginScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'state', 'hash', 'status', 'body')
if not record[1] then
  redis.call('HSET', KEYS[1], 'state', 'running', 'hash', ARGV[1], 'owner', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'new'}
end
if record[2] ~= ARGV[1] then return {'reused'} end
if record[1] == 'running' then return {'in_progress'} end
return {'replay', record[3], record[4]}
`);

// Extends the lease of our own running claim. KEYS[1] record   ARGV[1] owner token   ARGV[2] lockMs
const renewScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'state', 'owner')
if record[1] ~= 'running' or record[2] ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

// Stores the response only over our own claim: never over a completed record, nor after the claim lapsed (and was
// perhaps claimed by another gateway). KEYS[1] record   ARGV[1] owner token   ARGV[2] status   ARGV[3] body
// ARGV[4] ttlMs
const completeScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'state', 'owner')
if record[1] ~= 'running' or record[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'status', ARGV[2], 'body', ARGV[3])
redis.call('HDEL', KEYS[1], 'owner')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`);

// KEYS[1] record   ARGV[1] owner token
const abandonScript = new LuaScript(`
local record = redis.call('HMGET', KEYS[1], 'state', 'owner')
if record[1] ~= 'running' or record[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * The gateway's `Idempotency-Key` store (docs/api.md): claims a key before a POST runs, keeps its first
 * response for `ttlMs`, and answers retries from it.
 *
 * Redis is a cache here, not the source of truth: accountsrv and transrv also enforce the idempotency key
 * in MySQL (unique keys, and the key that cancelled a withdrawal), so a flushed or failed-over Redis, or a lapsed
 * claim, can at worst let a retry through to a service, which then answers with what the first request did instead
 * of doing it again. That is what makes a short lease safe: a claim held by a gateway that died lapses within
 * `lockMs`, and the retry that then runs only replays.
 *
 * Usage per POST: `begin`; on `replay` answer with it (`Idempotent-Replayed: true`); on `new` `hold` the claim while
 * the request runs, then stop the hold and `complete` if {@link shouldStoreResponse} says so, else `abandon`.
 */
export class IdempotencyStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #lockMs: number;
  readonly #renewEveryMs: number;

  constructor(options: IdempotencyStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#ttlMs = positiveMs('ttlMs', options.ttlMs ?? 86_400_000);
    this.#lockMs = positiveMs('lockMs', options.lockMs ?? 5_000);
    this.#renewEveryMs = positiveMs('renewEveryMs', options.renewEveryMs ?? Math.max(1, Math.floor(this.#lockMs / 3)));
    if (this.#renewEveryMs >= this.#lockMs) {
      throw new WalletError('CONFIG_INVALID', 'renewEveryMs must be shorter than lockMs', {
        details: { renewEveryMs: this.#renewEveryMs, lockMs: this.#lockMs },
      });
    }
  }

  /**
   * The request fingerprint to pass to begin; see {@link requestHash}.
   * @param input method, concrete path and raw body
   * @returns 64 hex characters
   */
  requestHash(input: RequestHashInput): string {
    return requestHash(input);
  }

  /**
   * Claims `key` for this request, for a lease of `lockMs`, or finds what an earlier request with the same key did.
   * @param clientId the authenticated client (keys are per client)
   * @param key the Idempotency-Key header
   * @param hash {@link requestHash} of this request
   * @returns `new` with the claim's owner token when this request now holds the key, `replay` with the stored
   *   first response
   * @throws WalletError VALIDATION_FAILED (malformed key), IDEMPOTENCY_KEY_REUSED (the key was used for a
   *   different request), IDEMPOTENCY_IN_PROGRESS (the same request is still running and its lease is live)
   */
  async begin(clientId: string, key: string, hash: string): Promise<IdempotencyBegin> {
    const owner = randomBytes(16).toString('hex');
    const reply = (await beginScript.run(this.#redis, [this.#recordKey(clientId, key)], [hash, this.#lockMs, owner])) as [
      string,
      ...string[],
    ];
    switch (reply[0]) {
      case 'new':
        return { kind: 'new', owner };
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
   * Extends the lease of this request's claim to `lockMs` from now.
   * @param clientId the authenticated client
   * @param key the Idempotency-Key header
   * @param owner the token begin returned
   * @returns false when the claim is no longer this request's (lapsed, completed, abandoned): nothing was changed
   */
  async renew(clientId: string, key: string, owner: string): Promise<boolean> {
    const reply = await renewScript.run(this.#redis, [this.#recordKey(clientId, key)], [owner, this.#lockMs]);
    return reply === 1;
  }

  /**
   * Renews the claim's lease every `renewEveryMs` while the request runs, until stopped or the claim is found lost.
   * A failed renewal (Redis unreachable) is reported to `onError` and tried again at the next tick.
   * @param clientId the authenticated client
   * @param key the Idempotency-Key header
   * @param owner the token begin returned
   * @param onError told of each renewal that failed
   * @returns the hold, to stop before complete/abandon
   */
  hold(clientId: string, key: string, owner: string, onError: (error: unknown) => void = () => {}): IdempotencyHold {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      let held = true;
      try {
        held = await this.renew(clientId, key, owner);
      } catch (error) {
        onError(error);
      }
      if (held && !stopped) schedule();
    };
    const schedule = (): void => {
      // Never keeps the process alive: a gateway shutting down stops renewing, and its claims lapse.
      timer = setTimeout(() => void tick(), this.#renewEveryMs).unref();
    };
    schedule();
    return {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }

  /**
   * Stores the first response for `key`, for `ttlMs`, if this request still holds the claim.
   * @param clientId the authenticated client
   * @param key the Idempotency-Key header
   * @param owner the token begin returned
   * @param status HTTP status of the response
   * @param body response body, replayed verbatim
   * @returns false when the claim was lost (lapsed, or already completed): nothing was written
   */
  async complete(clientId: string, key: string, owner: string, status: number, body: string): Promise<boolean> {
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new WalletError('INTERNAL', 'not an HTTP status', { details: { status } });
    }
    const reply = await completeScript.run(this.#redis, [this.#recordKey(clientId, key)], [owner, status, body, this.#ttlMs]);
    return reply === 1;
  }

  /**
   * Releases this request's claim so a retry can run (the request failed transiently, see {@link shouldStoreResponse}).
   * @param clientId the authenticated client
   * @param key the Idempotency-Key header
   * @param owner the token begin returned
   * @returns false when there was no claim of this request to release
   */
  async abandon(clientId: string, key: string, owner: string): Promise<boolean> {
    const reply = await abandonScript.run(this.#redis, [this.#recordKey(clientId, key)], [owner]);
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
