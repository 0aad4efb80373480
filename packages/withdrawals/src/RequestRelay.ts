import type { Knex } from '@wallet/db';
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
 * XADD only delays a request: signsrv de-duplicates by withdrawal id.
 */
export class RequestRelay {
  readonly #o: RequestRelayOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: RequestRelayOptions) {
    this.#o = options;
  }

  start(): void {
    const interval = this.#o.intervalMs ?? 250;
    this.#timer = setInterval(() => {
      if (!this.#stopped)
        this.#running = this.#running.then(() =>
          this.relayOnce().then(
            () => undefined,
            (error: unknown) => this.#o.log.error({ err: error }, 'request relay failed; retrying'),
          ),
        );
    }, interval);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass: sends what is due. @returns entries sent */
  async relayOnce(limit = 500): Promise<number> {
    const { db, redis, nodeId, stream } = this.#o;
    const [rows] = (await db.raw(
      `SELECT o.withdrawal_id, o.payload, o.sent_count, w.status FROM withdrawal_outbox o
       JOIN withdrawals w ON w.id = o.withdrawal_id
       WHERE o.node_id = ? AND o.acked_at IS NULL AND o.next_send_at <= CURRENT_TIMESTAMP(3)
       ORDER BY o.next_send_at LIMIT ?`,
      [nodeId, limit],
    )) as [OutboxRow[]];
    if (rows.length === 0) return 0;
    // Decided before signsrv confirmed receipt (e.g. the client cancelled): nothing left to review.
    const settled = rows.filter((r) => r.status !== 'pending_review').map((r) => r.withdrawal_id);
    if (settled.length > 0) {
      await db('withdrawal_outbox')
        .whereIn('withdrawal_id', settled)
        .update({ acked_at: db.raw('CURRENT_TIMESTAMP(3)') });
    }
    const due = rows.filter((r) => r.status === 'pending_review');
    if (due.length === 0) return 0;
    const pipeline = redis.pipeline();
    for (const r of due) pipeline.xadd(stream, 'MAXLEN', '~', this.#o.maxLen ?? 100_000, '*', 'm', r.payload);
    const results = await pipeline.exec();
    const failed = (results ?? []).filter(([error]) => error !== null);
    if (failed.length > 0) throw failed[0]![0]!;
    const base = this.#o.resendAfterMs ?? 10_000;
    const bySentCount = new Map<number, string[]>();
    for (const r of due) bySentCount.set(r.sent_count, [...(bySentCount.get(r.sent_count) ?? []), r.withdrawal_id]);
    for (const [sent, ids] of bySentCount) {
      const wait = base * 2 ** Math.min(sent, 4);
      await db('withdrawal_outbox')
        .whereIn('withdrawal_id', ids)
        .update({ sent_count: sent + 1, next_send_at: db.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND', [wait * 1000]) });
    }
    if (due.some((r) => r.sent_count > 0)) {
      this.#o.log.info({ resent: due.filter((r) => r.sent_count > 0).length }, 'blockout_req: re-sent unacknowledged withdrawals');
    }
    return due.length;
  }
}
