import type { Knex } from '@wallet/db';
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
 * `kick()` sends at once after a commit instead of waiting for the next tick.
 */
export class ResponseRelay {
  readonly #o: ResponseRelayOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #queued = false;
  #stopped = false;

  constructor(options: ResponseRelayOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.kick(), this.#o.intervalMs ?? 250);
  }

  /** Runs a pass soon (coalesced: at most one waits behind the running one). */
  kick(): void {
    if (this.#stopped || this.#queued) return;
    this.#queued = true;
    this.#running = this.#running.then(async () => {
      this.#queued = false;
      try {
        await this.relayOnce();
      } catch (error) {
        this.#o.log.error({ err: error }, 'response relay failed; retrying');
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass. @returns messages sent */
  async relayOnce(limit = 500): Promise<number> {
    const { db, redis, stream } = this.#o;
    const [rows] = (await db.raw(
      `SELECT o.id, o.withdrawal_id, o.type, o.payload, o.sent_count, w.status, w.txid, r.acked_at
       FROM sign_outbox o JOIN withdrawals w ON w.id = o.withdrawal_id
       LEFT JOIN withdrawal_outbox r ON r.withdrawal_id = o.withdrawal_id
       WHERE o.done_at IS NULL AND o.next_send_at <= CURRENT_TIMESTAMP(3) ORDER BY o.next_send_at LIMIT ?`,
      [limit],
    )) as [Row[]];
    if (rows.length === 0) return 0;
    const done = rows.filter((r) => r.sent_count > 0 && applied(r));
    // Only rows still as read: a newer report of the same type (a replacement's `broadcast`) resets its row's
    // sent_count to 0 meanwhile, and must be sent, not marked done on the strength of the old one.
    const doneBySent = new Map<number, string[]>();
    for (const r of done) doneBySent.set(r.sent_count, [...(doneBySent.get(r.sent_count) ?? []), r.id]);
    for (const [sent, ids] of doneBySent) {
      await db('sign_outbox')
        .whereIn('id', ids)
        .andWhere('sent_count', sent)
        .whereNull('done_at')
        .update({ done_at: db.raw('CURRENT_TIMESTAMP(3)') });
    }
    const due = rows.filter((r) => !(r.sent_count > 0 && applied(r)));
    if (due.length === 0) return 0;
    const pipeline = redis.pipeline();
    for (const r of due) pipeline.xadd(stream, 'MAXLEN', '~', this.#o.maxLen ?? 100_000, '*', 'm', r.payload);
    const results = await pipeline.exec();
    const failed = (results ?? []).find(([error]) => error !== null);
    if (failed) throw failed[0]!;
    const base = this.#o.resendAfterMs ?? 10_000;
    const bySent = new Map<number, string[]>();
    for (const r of due) bySent.set(r.sent_count, [...(bySent.get(r.sent_count) ?? []), r.id]);
    for (const [sent, ids] of bySent) {
      const wait = base * 2 ** Math.min(sent, 4);
      await db('sign_outbox')
        .whereIn('id', ids)
        .andWhere('sent_count', sent)
        .update({ sent_count: sent + 1, next_send_at: db.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND', [wait * 1000]) });
    }
    const resent = due.filter((r) => r.sent_count > 0).length;
    if (resent > 0) this.#o.log.info({ resent }, 'blockout_rsp: re-sent messages not yet applied');
    return due.length;
  }
}
