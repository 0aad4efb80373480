import { type Knex, type NodeDbs, globalOutboxOrigin, nodeDbs } from '@wallet/db';
import { OutboxRelay, type OutboxRelayStats } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import type { Redis } from 'ioredis';
import { eventsChannel } from './eventsChannel.js';
import { type OutboxEvent, outboxEvents, sequenceRows } from './sequenceEvents.js';

export type EventSequencerOptions = {
  /** One database, or the global one (the feed) and the node's shard (its outbox) apart. */
  readonly db: Knex | NodeDbs;
  /** Announces each client's new last sequence after the commit (a hint to readers; none: readers poll). */
  readonly redis?: Redis;
  readonly env: string;
  readonly nodeId: string;
  readonly log: Logger;
  /** @default 100 */
  readonly intervalMs?: number;
  /** Outbox rows per transaction. @default 500 */
  readonly batch?: number;
};

/**
 * A node's event sequencer: an {@link OutboxRelay} whose receiver is the clients' feed ({@link sequenceRows}), on a
 * short schedule; after each commit it tells the readers waiting on those clients. The outbox is in MySQL, so nothing
 * depends on this process staying up.
 */
export class EventSequencer {
  readonly #o: EventSequencerOptions;
  readonly #relay: OutboxRelay<OutboxEvent>;
  /** The global database's outbox ({@link globalOutboxOrigin}), which every node's sequencer moves too. */
  readonly globalOrigin: OutboxRelay<OutboxEvent>;

  constructor(options: EventSequencerOptions) {
    this.#o = options;
    const dbs = nodeDbs(options.db);
    this.#relay = new OutboxRelay<OutboxEvent>({
      name: 'event-sequencer',
      log: options.log,
      intervalMs: options.intervalMs ?? 100,
      batch: options.batch ?? 500,
      due: (limit) => outboxEvents(dbs.shard, options.nodeId, limit),
      deliver: (rows) => this.#sequence(dbs, options.nodeId, rows),
    });
    // Rare events (an endpoint disabled): a slower schedule than the node's own outbox.
    this.globalOrigin = new OutboxRelay<OutboxEvent>({
      name: 'event-sequencer-global',
      log: options.log,
      intervalMs: (options.intervalMs ?? 100) * 10,
      batch: options.batch ?? 500,
      due: (limit) => outboxEvents(dbs.global, globalOutboxOrigin, limit),
      deliver: (rows) => this.#sequence({ global: dbs.global, shard: dbs.global }, globalOutboxOrigin, rows),
    });
  }

  start(): void {
    this.#relay.start();
    this.globalOrigin.start();
  }

  /** Its outbox's backlog and failures (metrics). */
  stats(): OutboxRelayStats {
    return this.#relay.stats();
  }

  /** A pass soon (after a change was committed). */
  kick(): Promise<void> {
    return this.#relay.kick();
  }

  async stop(): Promise<void> {
    await Promise.all([this.#relay.stop(), this.globalOrigin.stop()]);
  }

  /** Sequences everything the outboxes (the node's, and the global one's) hold now. @returns events moved */
  async pass(): Promise<number> {
    let moved = 0;
    for (const relay of [this.#relay, this.globalOrigin]) {
      for (;;) {
        const n = await relay.relayOnce();
        moved += n;
        if (n === 0) break;
      }
    }
    return moved;
  }

  async #sequence(dbs: NodeDbs, origin: string, rows: readonly OutboxEvent[]): Promise<void> {
    const done = await sequenceRows(dbs, origin, rows);
    if (done.heads.size === 0 || !this.#o.redis) return;
    const channel = eventsChannel(this.#o.env);
    const pipeline = this.#o.redis.pipeline();
    for (const [client, seq] of done.heads) pipeline.publish(channel, `${client} ${seq}`);
    // Only a hint: readers poll MySQL too.
    await pipeline.exec().catch((error: unknown) => this.#o.log.debug({ err: error }, 'event announcement failed'));
  }
}
