import type { Knex } from '@wallet/db';
import { OutboxRelay, type OutboxRelayStats, streamResends } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import type { Redis } from 'ioredis';

export type RequestRelayOptions = {
  readonly db: Knex;
  readonly redis: Redis;
  readonly nodeId: string;
  /** The blockout_req stream key. */
  readonly stream: string;
  readonly log: Logger;
  /** How long to wait for signsrv's `received` before sending again (doubling up to 16x). @default 10_000 */
  readonly resendAfterMs?: number;
  /** @default 250 */
  readonly intervalMs?: number;
  /** Stream length kept (approximate trimming): re-sending makes a trimmed entry harmless. @default 100_000 */
  readonly maxLen?: number;
};

type OutboxRow = { withdrawal_id: string; payload: string; sent_count: number; status: string };

/**
 * Moves this node's withdrawal outbox into Redis `blockout_req` and keeps re-sending each entry until signsrv has
 * acknowledged it (its `received` on blockout_rsp, checked against signsrv's review queue in MySQL) or the
 * withdrawal has left pending_review. So a Redis restart, a FLUSHALL or a crash between the MySQL commit and the
 * XADD only delays a request: signsrv de-duplicates by withdrawal id. The passes are an {@link OutboxRelay}'s.
 */
export class RequestRelay {
  readonly #o: RequestRelayOptions;
  readonly #relay: OutboxRelay<OutboxRow>;

  constructor(options: RequestRelayOptions) {
    this.#o = options;
    const { db, log } = options;
    this.#relay = new OutboxRelay<OutboxRow>({
      name: 'request-relay',
      log,
      intervalMs: options.intervalMs ?? 250,
      due: (limit) => this.#due(limit),
      // Decided before signsrv confirmed receipt (e.g. the client cancelled): nothing left to review.
      settled: (r) => r.status !== 'pending_review',
      markDone: async (rows) => {
        const ids = rows.map((r) => r.withdrawal_id);
        await db('withdrawal_outbox')
          .whereIn('withdrawal_id', ids)
          .update({ acked_at: db.raw('CURRENT_TIMESTAMP(3)') });
      },
      ...streamResends<'withdrawal_id', OutboxRow>(options, {
        table: 'withdrawal_outbox',
        key: 'withdrawal_id',
        resentMessage: 'blockout_req: re-sent unacknowledged withdrawals',
      }),
    });
  }

  start(): void {
    this.#relay.start();
  }

  /** Its outbox's backlog and failures (metrics). */
  stats(): OutboxRelayStats {
    return this.#relay.stats();
  }

  /** Stops the passes, after the one running. */
  stop(): Promise<void> {
    return this.#relay.stop();
  }

  /** One pass: sends what is due. @returns entries sent */
  relayOnce(limit = 500): Promise<number> {
    return this.#relay.relayOnce(limit);
  }

  async #due(limit: number): Promise<OutboxRow[]> {
    const [rows] = (await this.#o.db.raw(
      `SELECT o.withdrawal_id, o.payload, o.sent_count, w.status FROM withdrawal_outbox o
       JOIN withdrawals w ON w.id = o.withdrawal_id
       WHERE o.node_id = ? AND o.acked_at IS NULL AND o.next_send_at <= CURRENT_TIMESTAMP(3)
       ORDER BY o.next_send_at LIMIT ?`,
      [this.#o.nodeId, limit],
    )) as [OutboxRow[]];
    return rows;
  }
}
