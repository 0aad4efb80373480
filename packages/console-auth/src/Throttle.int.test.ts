import { type Db, withTransaction } from '@wallet/db';
import { type WalletError, isWalletError } from '@wallet/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Throttle } from './Throttle.js';
import { createTestDatabase } from '@wallet/testkit';

let db: Db;
let drop: () => Promise<void>;
let now = Date.UTC(2030, 0, 1);
const clock = () => now;
let n = 0;
const freshKey = (kind = 'bearer:ip') => `${kind}:10.9.${++n}.1`;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop());

async function refusal(work: Promise<unknown>): Promise<WalletError> {
  try {
    await work;
  } catch (error) {
    if (isWalletError(error)) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('Throttle (auth_throttle on MariaDB)', () => {
  it('three failures are free, then each further one blocks for 1 s, 2 s, 4 s ... capped at 15 minutes', async () => {
    const throttle = new Throttle(db, { clock });
    const key = freshKey();
    for (let i = 1; i <= 3; i++) {
      await throttle.check(key);
      expect(await throttle.fail(key)).toEqual({ key, failures: i, blockedUntil: null, locked: false });
    }
    const seen: number[] = [];
    for (let failures = 4; failures <= 16; failures++) {
      await throttle.check(key);
      const state = await throttle.fail(key);
      expect(state.failures).toBe(failures);
      const delay = state.blockedUntil!.getTime() - now;
      seen.push(delay / 1000);
      const refused = await refusal(throttle.check(key));
      expect(refused.code).toBe('TOO_MANY_ATTEMPTS');
      expect(refused.httpStatus).toBe(429);
      expect(refused.retryable).toBe(true);
      expect(refused.details).toEqual({ retryAfterSeconds: delay / 1000 });
      now += delay - 1;
      expect((await refusal(throttle.check(key))).details).toEqual({ retryAfterSeconds: 1 });
      now += 1;
    }
    expect(seen).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
  });

  it('a success clears the key: three free failures again', async () => {
    const throttle = new Throttle(db, { clock });
    const key = freshKey();
    for (let i = 0; i < 4; i++) await throttle.fail(key);
    expect((await throttle.state(key)).blockedUntil).not.toBeNull();
    await throttle.succeed(key);
    expect(await throttle.state(key)).toEqual({ key, failures: 0, blockedUntil: null, locked: false });
    expect((await throttle.fail(key)).failures).toBe(1);
    expect(await db('auth_throttle').where({ key }).first()).toMatchObject({ failures: 1 });
  });

  it('with lockAfter, every failure from there on blocks for lockMs', async () => {
    const throttle = new Throttle(db, { clock, lockAfter: 10, lockMs: 1_800_000 });
    const key = freshKey('user');
    let state;
    for (let i = 1; i <= 10; i++) {
      state = await throttle.fail(key);
      now += 60_000; // past every delay below the lock
    }
    now -= 60_000;
    expect(state).toMatchObject({ failures: 10, locked: true, blockedUntil: new Date(now + 1_800_000) });
    expect((await refusal(throttle.check(key))).details).toEqual({ retryAfterSeconds: 1800 });
    now += 1_800_000;
    await throttle.check(key);
    expect(await throttle.fail(key)).toMatchObject({ failures: 11, locked: true, blockedUntil: new Date(now + 1_800_000) });
  });

  it('forgets a run of failures after a day without one', async () => {
    const throttle = new Throttle(db, { clock });
    const key = freshKey();
    for (let i = 0; i < 5; i++) await throttle.fail(key);
    now += 86_400_001;
    expect(await throttle.fail(key)).toMatchObject({ failures: 1, blockedUntil: null });
  });

  it('charge counts the attempt up front: of 12 parallel attempts, only freeFailures + 1 get through', async () => {
    const throttle = new Throttle(db, { clock });
    const key = freshKey();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => throttle.charge(key)));
    const through = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(through).toHaveLength(4);
    expect(refused.every((r) => isWalletError(r.reason, 'TOO_MANY_ATTEMPTS'))).toBe(true);
    expect(await throttle.state(key)).toMatchObject({ failures: 4 });
  });

  it('a check in a transaction holds the row: check and fail are one step for the caller', async () => {
    const throttle = new Throttle(db, { clock });
    const key = freshKey();
    for (let i = 0; i < 3; i++) await throttle.fail(key);
    // two transactions each check then fail; the second waits for the first's lock, then sees its block
    const attempt = () =>
      withTransaction(db, async (trx) => {
        await throttle.check(key, trx);
        await new Promise((r) => setTimeout(r, 50));
        return throttle.fail(key, trx);
      });
    const results = await Promise.allSettled([attempt(), attempt()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('purgeStale deletes only forgotten rows with no block running', async () => {
    const throttle = new Throttle(db, { clock });
    const old = freshKey();
    const fresh = freshKey();
    await throttle.fail(old);
    now += 86_400_001;
    await throttle.fail(fresh);
    expect(await throttle.purgeStale()).toBeGreaterThanOrEqual(1);
    expect(await db('auth_throttle').where({ key: old }).first()).toBeUndefined();
    expect(await db('auth_throttle').where({ key: fresh }).first()).toBeDefined();
  });

  it('refuses keys the column cannot hold rather than cutting them', async () => {
    const throttle = new Throttle(db, { clock });
    await expect(throttle.fail('k'.repeat(201))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(throttle.check('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
