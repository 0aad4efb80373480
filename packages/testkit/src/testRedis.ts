import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** A connection to the local stack's Redis with a key prefix of its own, for one integration test file. */
export type TestRedis = {
  readonly redis: Redis;
  /** `wallet:test:<random>:`, so concurrent test runs never see each other's keys. */
  readonly prefix: string;
  /** Deletes every key under the prefix and closes the connection. */
  readonly cleanup: () => Promise<void>;
};

/**
 * Connects to the real Redis of the local stack (REDIS_URL, as the services read it); tests never mock it.
 * @returns the connection, its prefix and a cleanup for afterAll
 */
export function connectTestRedis(): TestRedis {
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const prefix = `wallet:test:${randomBytes(6).toString('hex')}:`;
  return {
    redis,
    prefix,
    cleanup: async () => {
      await deleteByPrefix(redis, prefix);
      await redis.quit();
    },
  };
}

/**
 * Deletes every key starting with `prefix` (SCAN, never KEYS, so a big shared Redis is not blocked).
 * @param redis connection
 * @param prefix key prefix without glob characters
 * @returns how many keys were deleted
 */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}
