import type { Knex } from '@wallet/db';
import { OutboxRelay, type OutboxRelayStats, groupBySentCount, streamResends } from '@wallet/jobs';
import type { Logger } from '@wallet/logger';
import type { Redis } from 'ioredis';

export type ResponseRelayOptions = {
  readonly db: Knex;
  readonly redis: Redis;
  /** The blockout_rsp stream key. */
  readonly stream: string;
  readonly log: Logger;
  /** How long to wait for the owning transrv to apply a message before sending it again (doubling up to 16x). @default 10_000 */
  readonly resendAfterMs?: number;
  /** @default 250 */
  readonly intervalMs?: number;
  /** @default 100_000 */
  readonly maxLen?: number;
};

type Row = {
  id: string;
  withdrawal_id: string;
  type: string;
  payload: string;
  sent_count: number;
  status: string;
  txid: string | null;
  acked_at: Date | null;
};

/** Whether the owning transrv has applied a message, judged by what MySQL shows. */
function applied(r: Row): boolean {
  const terminal = ['confirmed', 'failed', 'rejected', 'cancelled'].includes(r.status);
  switch (r.type) {
    case 'received':
      return r.acked_at !== null || r.status !== 'pending_review';
    case 'approved':
      // transrv moves its row on this report: the request's acknowledgement (by `received`) does not show it applied.
      return r.status !== 'pending_review';
    case 'rejected':
      return r.status === 'rejected' || r.status === 'cancelled';
    case 'voided':
      return terminal;
    case 'signed':
      return ['signed', 'broadcast'].includes(r.status) || terminal;
    case 'broadcast': {
      const txid = (JSON.parse(r.payload) as { txid?: string }).txid;
      return (r.status === 'broadcast' && r.txid === txid) || terminal;
    }
    default:
      return true;
  }
}

/**
 * Sends signsrv's outbox to Redis `blockout_rsp` and re-sends each message until its effect shows in MySQL (the
 * owning transrv applied it), so a lost stream (Redis restart, FLUSHALL) or a transrv crash only delays it.
 * `kick()` sends at once after a commit instead of waiting for the next tick. The passes are an {@link OutboxRelay}'s.
 */
export class ResponseRelay {
  readonly #o: ResponseRelayOptions;
  readonly #relay: OutboxRelay<Row>;

  constructor(options: ResponseRelayOptions) {
    this.#o = options;
    const { db, log } = options;
    this.#relay = new OutboxRelay<Row>({
      name: 'response-relay',
      log,
      intervalMs: options.intervalMs ?? 250,
      due: (limit) => this.#due(limit),
      // A message sent at least once whose effect shows: done. One never sent is sent whatever MySQL shows.
      settled: (r) => r.sent_count > 0 && applied(r),
      markDone: async (rows) => {
        // Only rows still as read: a newer report of the same type (a replacement's `broadcast`) resets its row's
        // sent_count to 0 meanwhile, and must be sent, not marked done on the strength of the old one.
        for (const [sent, group] of groupBySentCount(rows, (r) => r.sent_count)) {
          const ids = group.map((r) => r.id);
          await db('sign_outbox')
            .whereIn('id', ids)
            .andWhere('sent_count', sent)
            .whereNull('done_at')
            .update({ done_at: db.raw('CURRENT_TIMESTAMP(3)') });
        }
      },
      ...streamResends<'id', Row>(options, {
        table: 'sign_outbox',
        key: 'id',
        resentMessage: 'blockout_rsp: re-sent messages not yet applied',
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

  /** Runs a pass soon (coalesced: at most one waits behind the running one). */
  kick(): void {
    void this.#relay.kick();
  }

  /** Stops the passes, after the one running. */
  stop(): Promise<void> {
    return this.#relay.stop();
  }

  /** One pass. @returns messages sent */
  relayOnce(limit = 500): Promise<number> {
    return this.#relay.relayOnce(limit);
  }

  async #due(limit: number): Promise<Row[]> {
    const [rows] = (await this.#o.db.raw(
      `SELECT o.id, o.withdrawal_id, o.type, o.payload, o.sent_count, w.status, w.txid, r.acked_at
       FROM sign_outbox o JOIN withdrawals w ON w.id = o.withdrawal_id
       LEFT JOIN withdrawal_outbox r ON r.withdrawal_id = o.withdrawal_id
       WHERE o.done_at IS NULL AND o.next_send_at <= CURRENT_TIMESTAMP(3) ORDER BY o.next_send_at LIMIT ?`,
      [limit],
    )) as [Row[]];
    return rows;
  }
}
