import type { Knex } from '@wallet/db';
import { groupBySentCount } from './groupBySentCount.js';
import { resendDelayMs } from './resendDelayMs.js';

/** An outbox row as its resend schedule needs it: its key and how many times it was sent, as read. */
type SentRow<K extends string> = Readonly<Record<K, string>> & { readonly sent_count: number };

/**
 * Records that outbox rows were just sent: `sent_count + 1`, and the next send {@link resendDelayMs} from now by
 * MySQL's clock (the one their `next_send_at <= CURRENT_TIMESTAMP(3)` is read with). One UPDATE per send count, each
 * only where the count is still the one read: a row whose message was replaced meanwhile (its count reset to 0) keeps
 * the reset, and its new message goes out on the next pass.
 * @param db the connection
 * @param table the outbox table (with `sent_count` and `next_send_at` columns)
 * @param key its key column
 * @param rows the rows sent, as read
 * @param baseMs the wait after a first send
 */
export async function scheduleResends<K extends string>(
  db: Knex,
  table: string,
  key: K,
  rows: readonly SentRow<K>[],
  baseMs: number,
): Promise<void> {
  for (const [sent, group] of groupBySentCount(rows, (r) => r.sent_count)) {
    const waitMs = resendDelayMs(baseMs, sent);
    const keys = group.map((r) => r[key]);
    await db(table)
      .whereIn(key, keys)
      .andWhere('sent_count', sent)
      .update({ sent_count: sent + 1, next_send_at: db.raw('CURRENT_TIMESTAMP(3) + INTERVAL ? MICROSECOND', [waitMs * 1000]) });
  }
}
