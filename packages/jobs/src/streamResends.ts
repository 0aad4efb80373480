import type { Knex } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import type { Redis } from 'ioredis';
import type { OutboxRelayOptions } from './OutboxRelay.js';
import { scheduleResends } from './scheduleResends.js';
import { xaddAll } from './xaddAll.js';

/** A row of an outbox sent to a Redis stream: its key, its message, and how many times it was sent. */
type StreamRow<K extends string> = Readonly<Record<K, string>> & { readonly payload: string; readonly sent_count: number };

export type StreamResendsOptions = {
  readonly db: Knex;
  readonly redis: Redis;
  /** The stream key. */
  readonly stream: string;
  readonly log: Logger;
  /** How long to wait for a message's effect before sending it again (doubling up to 16x, see resendDelayMs). @default 10_000 */
  readonly resendAfterMs?: number;
  /** The stream length kept, about: re-sending makes a trimmed entry harmless (see {@link xaddAll}). @default 100_000 */
  readonly maxLen?: number;
};

/** Which outbox: its table (with `sent_count`, `next_send_at` columns), its key column, and the line re-sends write. */
export type StreamOutbox<K extends string> = {
  readonly table: string;
  readonly key: K;
  /** The info line written when a pass sent rows again (their effect did not show in time). */
  readonly resentMessage: string;
};

/**
 * The delivery half of an {@link OutboxRelay} whose rows go to a Redis stream and are sent again until their effect
 * shows in MySQL: `deliver` appends the rows' payloads to the stream in one pipeline, `reschedule` counts the send and
 * sets the next ({@link scheduleResends}), and says how many were re-sends.
 * @param options where to, and how often to re-send
 * @param outbox which outbox
 * @returns the relay's `deliver` and `reschedule` options
 */
export function streamResends<K extends string, R extends StreamRow<K>>(
  options: StreamResendsOptions,
  outbox: StreamOutbox<K>,
): Required<Pick<OutboxRelayOptions<R>, 'deliver' | 'reschedule'>> {
  const { db, redis, stream, log, resendAfterMs = 10_000, maxLen = 100_000 } = options;
  const { table, key, resentMessage } = outbox;
  return {
    deliver: async (rows) => {
      const payloads = rows.map((r) => r.payload);
      await xaddAll(redis, stream, payloads, maxLen);
    },
    reschedule: async (rows) => {
      await scheduleResends(db, table, key, rows, resendAfterMs);
      const resent = rows.filter((r) => r.sent_count > 0).length;
      if (resent > 0) log.info({ resent }, resentMessage);
    },
  };
}
