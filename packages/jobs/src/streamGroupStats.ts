import type { Redis } from 'ioredis';

/** A consumer group's backlog on its stream. */
export type StreamGroupStats = {
  /** Entries delivered to the group's consumers and not acknowledged yet. */
  readonly pending: number;
  /** Entries not delivered to the group yet; null when Redis cannot tell (a trimmed stream, Redis before 7). */
  readonly lag: number | null;
};

/**
 * The backlog of `group` on `stream` (XINFO GROUPS: one round trip, O(number of groups)).
 * Takes any connection but a {@link StreamConsumer}'s own, which its blocking reads hold.
 * @returns undefined when the stream or the group does not exist (yet)
 */
export async function streamGroupStats(redis: Redis, stream: string, group: string): Promise<StreamGroupStats | undefined> {
  let groups: unknown[];
  try {
    groups = (await redis.xinfo('GROUPS', stream)) as unknown[];
  } catch (error) {
    if (/no such key/i.test(String((error as Error).message))) return undefined;
    throw error;
  }
  for (const entry of groups) {
    // [name, <group>, consumers, n, pending, n, last-delivered-id, id, entries-read, n, lag, n]
    const fields = entry as unknown[];
    const field = (name: string): unknown => {
      for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
      return undefined;
    };
    if (field('name') !== group) continue;
    const lag = field('lag');
    return { pending: Number(field('pending') ?? 0), lag: typeof lag === 'number' ? lag : null };
  }
  return undefined;
}
