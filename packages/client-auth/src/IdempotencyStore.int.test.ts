import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from './index.js';
import { connectTestRedis } from '@wallet/testkit';

const { redis, prefix, cleanup } = connectTestRedis();
afterAll(cleanup);

const store = new IdempotencyStore({ redis, prefix });
const client = 'cl_idem';
let keys = 0;
/** An idempotency key no other test touches. */
const freshKey = () => `order-${++keys}`;

const route = '/v1/accounts/acc_1/withdrawals';
const body = '{"asset":"ETH","to":"0xab","amount":"1"}';
const hash = store.requestHash({ method: 'POST', route, body });
const otherHash = store.requestHash({ method: 'POST', route, body: body.replace('"1"', '"2"') });
const created = JSON.stringify({ id: 'wd_1', status: 'pending_review' });

/** Claims `key` (expecting it to be new) and returns the claim's owner token. */
async function claim(on: IdempotencyStore, key: string, clientId = client): Promise<{ owner: string }> {
  const begun = await on.begin(clientId, key, hash);
  if (begun.kind !== 'new') throw new Error(`expected a new claim of ${key}, got ${begun.kind}`);
  return { owner: begun.owner };
}

describe('IdempotencyStore', () => {
  it('claims a new key, stores the first response, and replays it for the same request', async () => {
    const key = freshKey();
    const { owner } = await claim(store, key);
    await expect(store.complete(client, key, owner, 201, created)).resolves.toBe(true);
    await expect(store.begin(client, key, hash)).resolves.toEqual({ kind: 'replay', status: 201, body: created });
    // A second gateway instance sees the same record.
    await expect(new IdempotencyStore({ redis, prefix }).begin(client, key, hash)).resolves.toEqual({
      kind: 'replay',
      status: 201,
      body: created,
    });
  });

  it('replays bodies byte for byte, including non-ASCII and empty ones', async () => {
    for (const stored of ['{"note":"café ✓ 𝄞"}', '']) {
      const key = freshKey();
      await store.complete(client, key, (await claim(store, key)).owner, 422, stored);
      await expect(store.begin(client, key, hash)).resolves.toEqual({ kind: 'replay', status: 422, body: stored });
    }
  });

  it('refuses the same key with a different request, completed or in progress: IDEMPOTENCY_KEY_REUSED', async () => {
    const done = freshKey();
    await store.complete(client, done, (await claim(store, done)).owner, 201, created);
    await expect(store.begin(client, done, otherHash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });

    const running = freshKey();
    await store.begin(client, running, hash);
    await expect(store.begin(client, running, otherHash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('refuses a retry while the first attempt is still running: IDEMPOTENCY_IN_PROGRESS', async () => {
    const key = freshKey();
    await store.begin(client, key, hash);
    await expect(store.begin(client, key, hash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
  });

  it('gives exactly one of 50 concurrent begin() calls the key', async () => {
    const key = freshKey();
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => store.begin(client, key, hash)));
    expect(results.filter((r) => r.status === 'fulfilled')).toEqual([
      { status: 'fulfilled', value: { kind: 'new', owner: expect.stringMatching(/^[0-9a-f]{32}$/) } },
    ]);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
  });

  it('releases the key on abandon, so a retry runs anew', async () => {
    const key = freshKey();
    const { owner } = await claim(store, key);
    await expect(store.abandon(client, key, 'f'.repeat(32))).resolves.toBe(false);
    await expect(store.begin(client, key, hash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    await expect(store.abandon(client, key, owner)).resolves.toBe(true);
    await expect(store.begin(client, key, hash)).resolves.toMatchObject({ kind: 'new' });
  });

  it('never abandons or overwrites a completed record', async () => {
    const key = freshKey();
    const { owner } = await claim(store, key);
    await store.complete(client, key, owner, 201, created);
    await expect(store.abandon(client, key, owner)).resolves.toBe(false);
    await expect(store.complete(client, key, owner, 500, 'later')).resolves.toBe(false);
    await expect(store.renew(client, key, owner)).resolves.toBe(false);
    await expect(store.begin(client, key, hash)).resolves.toEqual({ kind: 'replay', status: 201, body: created });
  });

  it('lets a claim lapse after lockMs without renewal; the late owner can then neither complete nor renew', async () => {
    const short = new IdempotencyStore({ redis, prefix, lockMs: 150 });
    const key = freshKey();
    const first = await claim(short, key);
    await expect(short.begin(client, key, hash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    await sleep(200);
    await expect(short.complete(client, key, first.owner, 201, created)).resolves.toBe(false);
    await expect(short.renew(client, key, first.owner)).resolves.toBe(false);
    await expect(short.begin(client, key, otherHash)).resolves.toMatchObject({ kind: 'new' });
    await expect(short.complete(client, key, first.owner, 201, created)).resolves.toBe(false);
  });

  it('gives a lapsed key to the retry, whose claim the first owner can no longer renew, complete or abandon', async () => {
    const short = new IdempotencyStore({ redis, prefix, lockMs: 150 });
    const key = freshKey();
    const dead = await claim(short, key);
    await sleep(200);
    // The same request again (a retry on another gateway): it runs, under a claim of its own.
    const retry = await claim(short, key);
    expect(retry.owner).not.toBe(dead.owner);
    await expect(short.renew(client, key, dead.owner)).resolves.toBe(false);
    await expect(short.abandon(client, key, dead.owner)).resolves.toBe(false);
    await expect(short.complete(client, key, dead.owner, 500, 'late')).resolves.toBe(false);
    await expect(short.complete(client, key, retry.owner, 201, created)).resolves.toBe(true);
    await expect(short.begin(client, key, hash)).resolves.toEqual({ kind: 'replay', status: 201, body: created });
  });

  it('leases a claim for 5 s by default (a dead gateway blocks its keys that long at most)', async () => {
    const key = freshKey();
    const recordKey = `${prefix}idem:${client}:${key}`;
    await claim(store, key);
    expect(await redis.pttl(recordKey)).toBeGreaterThan(0);
    expect(await redis.pttl(recordKey)).toBeLessThanOrEqual(5_000);
  });

  it('renew extends only a running claim of its owner to lockMs', async () => {
    const timed = new IdempotencyStore({ redis, prefix, lockMs: 5_000 });
    const key = freshKey();
    const recordKey = `${prefix}idem:${client}:${key}`;
    const { owner } = await claim(timed, key);
    await redis.pexpire(recordKey, 100);
    await expect(timed.renew(client, key, 'f'.repeat(32))).resolves.toBe(false);
    expect(await redis.pttl(recordKey)).toBeLessThanOrEqual(100);
    await expect(timed.renew(client, key, owner)).resolves.toBe(true);
    expect(await redis.pttl(recordKey)).toBeGreaterThan(4_000);
  });

  it('holds a claim past many leases while its request runs, and lets it lapse once the hold stops', async () => {
    const leased = new IdempotencyStore({ redis, prefix, lockMs: 1_000, renewEveryMs: 100 });
    const key = freshKey();
    const { owner } = await claim(leased, key);
    const errors: unknown[] = [];
    const hold = leased.hold(client, key, owner, (e) => errors.push(e));
    await sleep(3_000);
    await expect(leased.begin(client, key, hash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    hold.stop();
    hold.stop();
    await sleep(1_300);
    await expect(leased.begin(client, key, hash)).resolves.toMatchObject({ kind: 'new' });
    expect(errors).toEqual([]);
  });

  it('stops renewing a claim that was completed, so the stored answer keeps its ttl', async () => {
    const leased = new IdempotencyStore({ redis, prefix, lockMs: 1_000, renewEveryMs: 100, ttlMs: 600_000 });
    const key = freshKey();
    const recordKey = `${prefix}idem:${client}:${key}`;
    const { owner } = await claim(leased, key);
    const hold = leased.hold(client, key, owner);
    await leased.complete(client, key, owner, 201, created);
    await sleep(300);
    expect(await redis.pttl(recordKey)).toBeGreaterThan(590_000);
    hold.stop();
  });

  it('refuses a renewal period that is not shorter than the lease: CONFIG_INVALID', () => {
    expect(() => new IdempotencyStore({ redis, prefix, lockMs: 1_000, renewEveryMs: 1_000 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('keeps a claim for lockMs and a completed response for ttlMs', async () => {
    const timed = new IdempotencyStore({ redis, prefix, lockMs: 5_000, ttlMs: 600_000 });
    const key = freshKey();
    const recordKey = `${prefix}idem:${client}:${key}`;
    const { owner } = await claim(timed, key);
    expect(await redis.pttl(recordKey)).toBeGreaterThan(4_000);
    expect(await redis.pttl(recordKey)).toBeLessThanOrEqual(5_000);
    await timed.complete(client, key, owner, 201, created);
    expect(await redis.pttl(recordKey)).toBeGreaterThan(590_000);
  });

  it('keeps keys per client, with no collision through ":" in ids', async () => {
    const { owner } = await claim(store, 'b:c', 'cl_a');
    await store.complete('cl_a', 'b:c', owner, 201, 'a');
    await expect(store.begin('cl_a:b', 'c', hash)).resolves.toMatchObject({ kind: 'new' });
    await expect(store.begin('cl_other', 'b:c', otherHash)).resolves.toMatchObject({ kind: 'new' });
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'k'.repeat(65)],
    ['a space', 'my key'],
    ['non-ASCII', 'clé'],
    ['a control character', 'key\u0000'],
  ])('refuses a key that is %s: VALIDATION_FAILED', async (_name, key) => {
    await expect(store.begin(client, key, hash)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.complete(client, key, 'f'.repeat(32), 201, created)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.abandon(client, key, 'f'.repeat(32))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.renew(client, key, 'f'.repeat(32))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('accepts keys of 1 and 64 characters', async () => {
    await expect(store.begin(client, 'x', hash)).resolves.toMatchObject({ kind: 'new' });
    await expect(store.begin(client, '~'.repeat(64), hash)).resolves.toMatchObject({ kind: 'new' });
  });
});
