import type { Logger } from '@wallet/logger';
import { Redis } from 'ioredis';

/** The client settings services choose (the rest are ioredis's defaults). */
export type RedisClientOptions = {
  /** Attempts of a command while the connection is down before it fails; `null`: wait for ever (stream consumers). */
  readonly maxRetriesPerRequest?: number | null;
  readonly enableAutoPipelining?: boolean;
  /** Delay before reconnection attempt `times` (ms). */
  readonly retryStrategy?: (times: number) => number | null;
};

/**
 * A service's Redis client, connected on first use (`lazyConnect`), whose connection errors go to the service's log
 * instead of ioredis's "Unhandled error event" on stderr (which bypasses the JSON log). ioredis reconnects by itself;
 * while Redis is away one warning per `quietMs` is written, and one line when the connection is back.
 * @param name which client of the service this is (`main`, `consumer`), in each line
 */
export function createRedis(url: string, log: Logger, name: string, options: RedisClientOptions = {}, quietMs = 5000): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    ...(options.maxRetriesPerRequest === undefined ? {} : { maxRetriesPerRequest: options.maxRetriesPerRequest }),
    ...(options.enableAutoPipelining === undefined ? {} : { enableAutoPipelining: options.enableAutoPipelining }),
    ...(options.retryStrategy === undefined ? {} : { retryStrategy: options.retryStrategy }),
  });
  let lastWarned = 0;
  let failing = false;
  redis.on('error', (error: Error) => {
    failing = true;
    const now = Date.now();
    if (now - lastWarned < quietMs) return;
    lastWarned = now;
    log.warn({ err: error, redis: name }, 'redis connection error (reconnecting)');
  });
  redis.on('ready', () => {
    if (!failing) return;
    failing = false;
    lastWarned = 0;
    log.info({ redis: name }, 'redis connection back');
  });
  return redis;
}
