import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/** How a {@link Throttle} answers consecutive failures of one key. */
export type ThrottlePolicy = {
  /** Consecutive failures that cost nothing (typos). @default 3 */
  readonly freeFailures?: number;
  /** The block after the first failure beyond them; each further failure doubles it. @default 1000 */
  readonly baseDelayMs?: number;
  /** The longest block a failure causes (below `lockAfter`). @default 900_000 (15 min) */
  readonly maxDelayMs?: number;
  /** From this many consecutive failures on, each failure blocks the key for `lockMs`. @default null (never) */
  readonly lockAfter?: number | null;
  /** @default 1_800_000 (30 min) */
  readonly lockMs?: number;
  /** A failure this long after the previous one (and no block running) counts from zero again. @default 86_400_000 (24 h) */
  readonly forgetAfterMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
};

/** A key's consecutive failures and the block they caused. */
export type ThrottleState = {
  readonly key: string;
  readonly failures: number;
  /** Attempts are refused until then (null: not blocked, or the block has passed). */
  readonly blockedUntil: Date | null;
  /** Blocked because `lockAfter` was reached (not only a growing delay). */
  readonly locked: boolean;
};

type Row = { key: string; failures: number; last_failure_at: Date | null; blocked_until: Date | null };

/**
 * Growing delays after repeated failures, per key (`ip:1.2.3.4`, `user:alice`, `bearer:ip:1.2.3.4`), in MySQL
 * (`auth_throttle`), so every signsrv process sees the same counts and a restart forgets nothing. With the defaults:
 * three failures are free, the fourth blocks the key for 1 s, the fifth 2 s, then 4 s, 8 s ... up to 15 minutes; with
 * `lockAfter` (the console's per-user key: 10) every failure from there on blocks for `lockMs`. A blocked key is
 * refused before anything is checked (`TOO_MANY_ATTEMPTS`, `details.retryAfterSeconds`). A success clears the key.
 *
 * Under concurrency: `check` then `fail` lets a burst of parallel attempts through the same open window. `charge`
 * checks and counts the attempt as a failure in one locked step (a success then clears it), so at most
 * `freeFailures` + 1 parallel attempts get through before the block; the console's login does this. Passing a
 * transaction to `check`/`fail`/`state` locks the key's row until it ends, so the caller can combine several keys.
 */
export class Throttle {
  readonly #db: Knex;
  readonly #free: number;
  readonly #base: number;
  readonly #max: number;
  readonly #lockAfter: number | null;
  readonly #lockMs: number;
  readonly #forgetMs: number;
  readonly #clock: () => number;

  /** @param policy see {@link ThrottlePolicy} for the defaults */
  constructor(db: Knex, policy: ThrottlePolicy = {}) {
    this.#db = db;
    this.#free = policy.freeFailures ?? 3;
    this.#base = policy.baseDelayMs ?? 1000;
    this.#max = policy.maxDelayMs ?? 900_000;
    this.#lockAfter = policy.lockAfter ?? null;
    this.#lockMs = policy.lockMs ?? 1_800_000;
    this.#forgetMs = policy.forgetAfterMs ?? 86_400_000;
    this.#clock = policy.clock ?? Date.now;
  }

  /**
   * Refuses an attempt while `key` is blocked.
   * @param trx when given, the key's row stays locked until it ends
   * @throws WalletError TOO_MANY_ATTEMPTS (`details.retryAfterSeconds`)
   */
  async check(key: string, trx?: Knex.Transaction): Promise<ThrottleState> {
    checkKey(key);
    const state = await this.state(key, trx);
    if (state.blockedUntil !== null) throw tooManyAttempts([state], this.#clock());
    return state;
  }

  /**
   * Counts one failure of `key` and blocks it as the policy says.
   * @param trx when given, the write is part of it
   * @returns the key's state after this failure
   */
  async fail(key: string, trx?: Knex.Transaction): Promise<ThrottleState> {
    checkKey(key);
    if (!trx) return withTransaction(this.#db, (t) => this.fail(key, t));
    const now = this.#clock();
    const row = await lockRow(trx, key);
    const stale = row.last_failure_at !== null && now - row.last_failure_at.getTime() > this.#forgetMs && !isBlocked(row, now);
    const failures = (stale ? 0 : row.failures) + 1;
    const delay = this.delayAfter(failures);
    const blockedUntil = delay === null ? null : new Date(now + delay);
    await trx('auth_throttle')
      .where({ key })
      .update({ failures, last_failure_at: new Date(now), blocked_until: blockedUntil });
    return { key, failures, blockedUntil, locked: this.#isLock(failures) };
  }

  /**
   * Checks `key` and counts this attempt as a failure in one locked step: the concurrency-safe form of check-then-fail.
   * Call {@link succeed} when the attempt succeeds.
   * @throws WalletError TOO_MANY_ATTEMPTS while blocked (then nothing is counted)
   */
  async charge(key: string, trx?: Knex.Transaction): Promise<ThrottleState> {
    if (!trx) return withTransaction(this.#db, (t) => this.charge(key, t));
    await this.check(key, trx);
    return this.fail(key, trx);
  }

  /** Clears `key`: a success (or an admin's unlock) ends the run of failures. */
  async succeed(key: string, trx?: Knex.Transaction): Promise<void> {
    checkKey(key);
    await (trx ?? this.#db)('auth_throttle').where({ key }).delete();
  }

  /**
   * The state of `key` now.
   * @param trx when given, the key's row is created if missing and locked until it ends
   */
  async state(key: string, trx?: Knex.Transaction): Promise<ThrottleState> {
    checkKey(key);
    const now = this.#clock();
    const row = trx ? await lockRow(trx, key) : ((await this.#db<Row>('auth_throttle').where({ key }).first()) ?? null);
    if (row === null) return { key, failures: 0, blockedUntil: null, locked: false };
    const blocked = isBlocked(row, now);
    return {
      key,
      failures: row.failures,
      blockedUntil: blocked ? row.blocked_until : null,
      locked: blocked && this.#isLock(row.failures),
    };
  }

  /**
   * The block caused by the `failures`-th consecutive failure, or null for none.
   * @returns milliseconds
   */
  delayAfter(failures: number): number | null {
    if (this.#isLock(failures)) return this.#lockMs;
    if (failures <= this.#free) return null;
    // 2 ** 40 ms is 35 years: past the cap whatever the base, and still an exact number
    return Math.min(this.#base * 2 ** Math.min(failures - this.#free - 1, 40), this.#max);
  }

  /**
   * Deletes the rows of keys with no block running and no failure for `forgetAfterMs`: each distinct IP and username
   * ever tried leaves one, which counts nothing once forgotten. Run it now and then (signsrv's periodic tasks).
   * @returns the number of rows deleted
   */
  async purgeStale(): Promise<number> {
    const now = this.#clock();
    return this.#db('auth_throttle')
      .whereRaw('(blocked_until IS NULL OR blocked_until <= ?) AND (last_failure_at IS NULL OR last_failure_at < ?)', [
        new Date(now),
        new Date(now - this.#forgetMs),
      ])
      .delete();
  }

  #isLock(failures: number): boolean {
    return this.#lockAfter !== null && failures >= this.#lockAfter;
  }
}

/**
 * The refusal for blocked keys: retry after the longest of their blocks.
 * @param states blocked states (a `blockedUntil` each)
 */
export function tooManyAttempts(states: readonly ThrottleState[], now: number): WalletError {
  const until = Math.max(...states.map((s) => s.blockedUntil?.getTime() ?? now));
  return new WalletError('TOO_MANY_ATTEMPTS', 'too many failed attempts: try again later', {
    details: { retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) },
  });
}

/** A key is the caller's: refuse one the column cannot hold rather than cut it (two keys would become one). */
function checkKey(key: string): void {
  if (key.length === 0 || key.length > 200) {
    throw new WalletError('VALIDATION_FAILED', 'a throttle key is 1 to 200 characters', { details: { reason: 'bad_throttle_key' } });
  }
}

function isBlocked(row: Row, now: number): boolean {
  return row.blocked_until !== null && row.blocked_until.getTime() > now;
}

/**
 * Locks the key's row for the rest of `trx`, creating it (no failures) if missing. The upsert takes the row's
 * exclusive lock whether it inserts or finds the row, so two first failures of a new key queue instead of both
 * reading "no row".
 */
async function lockRow(trx: Knex.Transaction, key: string): Promise<Row> {
  await trx.raw('INSERT INTO auth_throttle (`key`, failures) VALUES (?, 0) ON DUPLICATE KEY UPDATE failures = failures', [key]);
  const row = (await trx<Row>('auth_throttle').where({ key }).forUpdate().first())!;
  return { ...row, failures: Number(row.failures) };
}
