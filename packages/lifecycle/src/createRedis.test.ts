import { createLogger } from '@wallet/logger';
import { freePort } from '@wallet/testkit';
import { describe, expect, it } from 'vitest';
import { createRedis } from './createRedis.js';

describe('createRedis', () => {
  it('logs a Redis it cannot reach as a warning (once per quiet period) instead of an unhandled error event', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger(
      'lifecycle-test',
      { level: 'info' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const redis = createRedis(`redis://127.0.0.1:${await freePort()}`, log, 'main', { retryStrategy: () => 20, maxRetriesPerRequest: 1 });
    try {
      await expect(redis.get('k')).rejects.toThrow();
      expect(redis.listenerCount('error')).toBeGreaterThan(0);
      const warnings = lines.filter((l) => l['msg'] === 'redis connection error (reconnecting)');
      // Several reconnection attempts (20 ms apart) were refused; one warning within the quiet period.
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 40, redis: 'main' });
    } finally {
      redis.disconnect();
    }
  });
});
