import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xaddAll } from './xaddAll.js';

// Against the stack's Redis, on keys of its own.

let redis: Redis;
const key = (name: string) => `test:jobs:${randomBytes(4).toString('hex')}:${name}`;
const keys: string[] = [];

beforeAll(() => {
  redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
});
afterAll(async () => {
  if (keys.length > 0) await redis.del(...keys);
  redis?.disconnect();
});

describe('xaddAll', () => {
  it('appends every message as its `m` field, in order, and returns their ids', async () => {
    const stream = key('order');
    keys.push(stream);
    const ids = await xaddAll(redis, stream, ['one', 'two', 'three'], 100);
    const entries = await redis.xrange(stream, '-', '+');
    expect(entries.map(([id]) => id)).toEqual(ids);
    expect(entries.map(([, fields]) => fields)).toEqual([
      ['m', 'one'],
      ['m', 'two'],
      ['m', 'three'],
    ]);
    expect(await xaddAll(redis, stream, [], 100)).toEqual([]);
  });

  it('keeps the stream to about maxLen entries', async () => {
    const stream = key('trim');
    keys.push(stream);
    for (let i = 0; i < 5; i++) {
      const batch = Array.from({ length: 200 }, (_, j) => `${i}:${j}`);
      await xaddAll(redis, stream, batch, 10);
    }
    // Approximate trimming drops whole nodes (100 entries each by default): far fewer than the 1000 added.
    expect(await redis.xlen(stream)).toBeLessThan(250);
  });

  it('throws the first error of the pipeline', async () => {
    const notAStream = key('string');
    keys.push(notAStream);
    await redis.set(notAStream, 'x');
    await expect(xaddAll(redis, notAStream, ['a', 'b'], 100)).rejects.toThrow(/^WRONGTYPE/);
  });
});
