import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamGroupStats } from './streamGroupStats.js';

// Against the stack's Redis, on a stream key of its own (deleted afterwards).

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
let redis: Redis;
const stream = `test:jobs:stats:${randomBytes(4).toString('hex')}`;

beforeAll(() => {
  redis = new Redis(url);
});
afterAll(async () => {
  await redis.del(stream);
  redis.disconnect();
});

describe('streamGroupStats', () => {
  it("reports a group's undelivered (lag) and unacknowledged (pending) entries; nothing for a missing stream or group", async () => {
    expect(await streamGroupStats(redis, stream, 'g')).toBeUndefined();
    await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    expect(await streamGroupStats(redis, stream, 'other')).toBeUndefined();
    for (let i = 0; i < 5; i++) await redis.xadd(stream, '*', 'm', `${i}`);
    expect(await streamGroupStats(redis, stream, 'g')).toEqual({ pending: 0, lag: 5 });
    const read = (await redis.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 3, 'STREAMS', stream, '>')) as [string, [string, string[]][]][];
    const ids = read[0]![1].map(([id]) => id);
    expect(await streamGroupStats(redis, stream, 'g')).toEqual({ pending: 3, lag: 2 });
    await redis.xack(stream, 'g', ids[0]!, ids[1]!);
    expect(await streamGroupStats(redis, stream, 'g')).toEqual({ pending: 1, lag: 2 });
  });
});
