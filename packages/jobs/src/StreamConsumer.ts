import type { Logger } from '@wallet/logger';
import type { Redis } from 'ioredis';
import { backoffMs } from './backoffMs.js';
import { FailureStreak } from './FailureStreak.js';

/** One stream entry's message. */
export type StreamEntry = { readonly id: string; readonly message: string };

export type StreamConsumerOptions = {
  /** A connection of its own: blocking reads hold it. Closed by {@link StreamConsumer.stop}. */
  readonly redis: Redis;
  readonly stream: string;
  readonly group: string;
  /** Stable across restarts (the node id, the service name), so a restarted process finds its pending entries. */
  readonly consumer: string;
  /**
   * Handles a batch of entries (their `m` field), in stream order. Resolve only after their effects are committed
   * (the entries are acknowledged then); throw to leave the whole batch pending (it is retried, so handling must be
   * idempotent). An entry without a message field is acknowledged and skipped.
   */
  readonly handle: (entries: readonly StreamEntry[]) => Promise<void>;
  readonly log: Logger;
  /** @default 100 */
  readonly batch?: number;
  /** @default 1000 */
  readonly blockMs?: number;
  /** Consecutive failures after which a failing consumer is logged as an error (about 15 s of retrying). @default 6 */
  readonly errorAfter?: number;
};

type Entries = [id: string, fields: string[] | null][];

/**
 * Reads a Redis stream in a consumer group with at-least-once delivery: an entry is acknowledged (XACK) only after
 * its handler resolved, that is after the MySQL commit. Entries this consumer read but did not acknowledge (it
 * crashed between read and commit) are read again first on every start, and after any failure (its own pending
 * entries list). The group is created on start; one that vanishes later (Redis restarted empty, FLUSHALL) is
 * re-created; what was lost in Redis is re-sent by the senders' MySQL outboxes, so nothing depends on Redis keeping
 * anything.
 *
 * Failures are logged as a streak (warn at the first, error once it lasts, info when it ends), and retried with a
 * backoff from 400 ms to 5 s.
 */
export class StreamConsumer {
  readonly #o: StreamConsumerOptions;
  #stopped = false;
  #running: Promise<void> | undefined;
  /** Whether this consumer's pending entries must be read again before new ones. */
  #pending = true;

  constructor(options: StreamConsumerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#o.redis.disconnect();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const { log, stream } = this.#o;
    // Created before the first read, so a fresh start reads at once rather than meeting NOGROUP and warning of a
    // group that never existed. Should this fail (Redis not up yet), the loop below meets the same trouble and retries.
    await this.#createGroup().catch(() => undefined);
    const streak = new FailureStreak(log, { stream }, 'stream consumer', this.#o.errorAfter ?? 6);
    while (!this.#stopped) {
      try {
        const progressed = await this.#step();
        streak.succeeded();
        if (!progressed && this.#pending) await sleep(500);
      } catch (error) {
        if (this.#stopped) break;
        const message = String((error as Error).message);
        // The stream or its group vanished (Redis restarted empty, FLUSHALL; a blocked read then ends UNBLOCKED):
        // re-created here, and the senders' outboxes re-send what was lost. Nothing for an operator to do.
        if (/NOGROUP|UNBLOCKED/.test(message)) {
          streak.troubled({ reason: message }, 'stream or consumer group vanished; re-creating it');
          if (/NOGROUP/.test(message)) {
            await this.#createGroup().catch((e: unknown) => log.warn({ err: e }, 'could not create the consumer group'));
          }
          continue;
        }
        streak.failed(error);
        this.#pending = true;
        await sleep(backoffMs(RETRY_BASE_MS, streak.count, RETRY_MAX_MS));
      }
    }
  }

  /** @returns whether any entry was handled */
  async #step(): Promise<boolean> {
    const { redis, stream, group, consumer } = this.#o;
    const fromPending = this.#pending;
    const count = this.#o.batch ?? 100;
    // ioredis types each argument list separately: the blocking read and the pending-entries read are two calls.
    // A pending entry trimmed from the stream comes back with null fields, which ioredis' types do not show.
    const reply: [string, Entries][] | null = fromPending
      ? await redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', stream, '0')
      : await redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'BLOCK', this.#o.blockMs ?? 1000, 'STREAMS', stream, '>');
    const entries = reply?.[0]?.[1] ?? [];
    if (fromPending && entries.length === 0) {
      this.#pending = false;
      return false;
    }
    const batch: StreamEntry[] = [];
    for (const [id, fields] of entries) {
      const message = fields ? fieldValue(fields, 'm') : undefined;
      if (message !== undefined) batch.push({ id, message });
    }
    if (batch.length > 0) {
      try {
        await this.#o.handle(batch);
      } catch (error) {
        this.#pending = true;
        this.#o.log.error({ err: error, entries: batch.length, stream }, 'message handling failed; left pending for a retry');
        return false;
      }
    }
    if (entries.length > 0) await redis.xack(stream, group, ...entries.map(([id]) => id));
    return entries.length > 0;
  }

  async #createGroup(): Promise<void> {
    const { redis, stream, group, log } = this.#o;
    try {
      // From the start of whatever the stream holds: handlers are idempotent, and senders re-send anyway.
      await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
      log.info({ stream, group }, 'consumer group created');
    } catch (error) {
      if (!/BUSYGROUP/.test(String((error as Error).message))) throw error;
    }
    this.#pending = true;
  }
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** The retry backoff: 400 ms after the first failure, doubling to 5 s. */
const RETRY_BASE_MS = 200;
const RETRY_MAX_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
