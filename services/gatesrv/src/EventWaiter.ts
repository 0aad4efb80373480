import { eventsChannel, parseEventsMessage } from '@wallet/events';
import type { Logger } from '@wallet/logger';
import type { Redis } from 'ioredis';

type Waiter = { readonly after: number; readonly wake: () => void };

/**
 * Wakes the gateway's long polls and streams when a client's feed grows: one Redis subscription per gateway to the
 * sequencers' announcements ({@link eventsChannel}), fanned out in memory to the readers waiting on that client. Only a
 * hint: every wait also ends after its poll interval, so a missed announcement (Redis down, reconnecting) delays a
 * reader by at most that long, and MySQL (through transrv) is always what is served.
 */
export class EventWaiter {
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #pollMs: number;
  #started: Promise<void> | undefined;

  /**
   * @param redis a connection to duplicate for the subscription
   * @param pollMs the longest a wait lasts without an announcement @default 1000
   */
  constructor(redis: Redis, env: string, log: Logger, pollMs = 1000) {
    this.#channel = eventsChannel(env);
    this.#pollMs = pollMs;
    this.#subscriber = redis.duplicate({ lazyConnect: true, enableAutoPipelining: false, connectionName: 'gatesrv:events' });
    this.#subscriber.on('error', (error: unknown) => log.warn({ err: error }, 'event announcements: connection error'));
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      const m = parseEventsMessage(message);
      const waiting = m && this.#waiters.get(m.clientId);
      if (!m || !waiting) return;
      for (const w of waiting) if (m.seq > w.after) w.wake();
    });
  }

  /** Subscribes (idempotent). */
  start(): Promise<void> {
    this.#started ??= this.#subscriber.connect().then(async () => {
      await this.#subscriber.subscribe(this.#channel);
    });
    return this.#started;
  }

  /**
   * Resolves when the client's feed may hold an event after `after`: on its announcement, after the poll interval or
   * `maxMs` (whichever is first), or when `signal` aborts.
   */
  wait(clientId: string, after: number, maxMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(clientId);
      if (!set) this.#waiters.set(clientId, (set = new Set()));
      const waiting = set;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiting.delete(waiter);
        if (waiting.size === 0 && this.#waiters.get(clientId) === waiting) this.#waiters.delete(clientId);
        resolve();
      };
      const waiter: Waiter = { after, wake: done };
      waiting.add(waiter);
      const timer = setTimeout(done, Math.max(0, Math.min(maxMs, this.#pollMs)));
      if (signal?.aborted) done();
      else signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Readers waiting now (for metrics and tests). */
  get waiting(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    await this.#subscriber.quit().catch(() => this.#subscriber.disconnect());
  }
}
