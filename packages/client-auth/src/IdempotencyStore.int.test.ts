import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { IdempotencyStore } from './index.js';
import { connectTestRedis } from './testRedis.js';

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

describe('IdempotencyStore', () => {
  it('claims a new key, stores the first response, and replays it for the same request', async () => {
    const key = freshKey();
    await expect(store.begin(client, key, hash)).resolves.toEqual({ kind: 'new' });
    await expect(store.complete(client, key, hash, 201, created)).resolves.toBe(true);
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
      await store.begin(client, key, hash);
      await store.complete(client, key, hash, 422, stored);
      await expect(store.begin(client, key, hash)).resolves.toEqual({ kind: 'replay', status: 422, body: stored });
    }
  });

  it('refuses the same key with a different request, completed or in progress: IDEMPOTENCY_KEY_REUSED', async () => {
    const done = freshKey();
    await store.begin(client, done, hash);
    await store.complete(client, done, hash, 201, created);
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
    expect(results.filter((r) => r.status === 'fulfilled')).toEqual([{ status: 'fulfilled', value: { kind: 'new' } }]);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
  });

  it('releases the key on abandon, so a retry runs anew', async () => {
    const key = freshKey();
    await store.begin(client, key, hash);
    await expect(store.abandon(client, key, otherHash)).resolves.toBe(false);
    await expect(store.begin(client, key, hash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    await expect(store.abandon(client, key, hash)).resolves.toBe(true);
    await expect(store.begin(client, key, hash)).resolves.toEqual({ kind: 'new' });
  });

  it('never abandons or overwrites a completed record', async () => {
    const key = freshKey();
    await store.begin(client, key, hash);
    await store.complete(client, key, hash, 201, created);
    await expect(store.abandon(client, key, hash)).resolves.toBe(false);
    await expect(store.complete(client, key, hash, 500, 'later')).resolves.toBe(false);
    await expect(store.begin(client, key, hash)).resolves.toEqual({ kind: 'replay', status: 201, body: created });
  });

  it('releases a claim whose gateway never finished after lockMs, and then refuses the late completion', async () => {
    const short = new IdempotencyStore({ redis, prefix, lockMs: 150 });
    const key = freshKey();
    await short.begin(client, key, hash);
    await expect(short.begin(client, key, hash)).rejects.toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS' });
    await sleep(200);
    await expect(short.complete(client, key, hash, 201, created)).resolves.toBe(false);
    await expect(short.begin(client, key, otherHash)).resolves.toEqual({ kind: 'new' });
    await expect(short.complete(client, key, hash, 201, created)).resolves.toBe(false);
  });

  it('keeps a claim for lockMs and a completed response for ttlMs', async () => {
    const timed = new IdempotencyStore({ redis, prefix, lockMs: 5_000, ttlMs: 600_000 });
    const key = freshKey();
    const recordKey = `${prefix}idem:${client}:${key}`;
    await timed.begin(client, key, hash);
    expect(await redis.pttl(recordKey)).toBeGreaterThan(4_000);
    expect(await redis.pttl(recordKey)).toBeLessThanOrEqual(5_000);
    await timed.complete(client, key, hash, 201, created);
    expect(await redis.pttl(recordKey)).toBeGreaterThan(590_000);
  });

  it('keeps keys per client, with no collision through ":" in ids', async () => {
    await store.begin('cl_a', 'b:c', hash);
    await store.complete('cl_a', 'b:c', hash, 201, 'a');
    await expect(store.begin('cl_a:b', 'c', hash)).resolves.toEqual({ kind: 'new' });
    await expect(store.begin('cl_other', 'b:c', otherHash)).resolves.toEqual({ kind: 'new' });
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'k'.repeat(65)],
    ['a space', 'my key'],
    ['non-ASCII', 'clé'],
    ['a control character', 'key\u0000'],
  ])('refuses a key that is %s: VALIDATION_FAILED', async (_name, key) => {
    await expect(store.begin(client, key, hash)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.complete(client, key, hash, 201, created)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.abandon(client, key, hash)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('accepts keys of 1 and 64 characters', async () => {
    await expect(store.begin(client, 'x', hash)).resolves.toEqual({ kind: 'new' });
    await expect(store.begin(client, '~'.repeat(64), hash)).resolves.toEqual({ kind: 'new' });
  });
});
