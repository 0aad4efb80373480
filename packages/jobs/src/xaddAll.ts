import type { Redis } from 'ioredis';

/**
 * Appends messages to a Redis stream in one round trip (a pipeline of XADD, each the message as its `m` field),
 * trimming the stream to about `maxLen` entries. Approximate trimming (`MAXLEN ~`) lets Redis drop whole nodes, which
 * is cheap; it is safe where senders re-send until the effect shows, so a trimmed entry is sent again, not lost.
 * @param redis the connection (not a blocked one)
 * @param stream the stream key
 * @param messages the messages, in the order they are to be read
 * @param maxLen the stream length kept, about
 * @returns the entry ids
 * @throws the first error of the pipeline (its other commands may have run: the caller sends all again)
 */
export async function xaddAll(redis: Redis, stream: string, messages: readonly string[], maxLen: number): Promise<string[]> {
  if (messages.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const m of messages) pipeline.xadd(stream, 'MAXLEN', '~', maxLen, '*', 'm', m);
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([error]) => error !== null);
  if (failed) throw failed[0]!;
  return results.map(([, id]) => id as string);
}
