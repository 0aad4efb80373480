import type { Knex } from '@wallet/db';
import { AlertSource, alertTables } from '@wallet/withdrawal-protocol';

/** Counting stops here: a gauge that reads 10,000 says "at least", and each query stays an index range of that size. */
export const SIGNING_COUNT_CAP = 10_000;

/** What signsrv's metrics show of its work: the queue, the kill switch, halted assets, open alarms. */
export type SigningStats = {
  /** Withdrawals awaiting review (pending_review), up to the cap. */
  readonly awaitingReview: number;
  /** Approved withdrawals not signed yet (approved), up to the cap. */
  readonly awaitingSigning: number;
  /** The kill switch. */
  readonly paused: boolean;
  /** Assets whose signing is halted (reconciliation's tripwire or an operator). */
  readonly haltedAssets: readonly string[];
  /** Unacknowledged alarms by table and kind, among the newest {@link SIGNING_COUNT_CAP} of each table. */
  readonly openAlarms: readonly { readonly source: AlertSource; readonly kind: string; readonly count: number }[];
};

/**
 * signsrv's state for its metrics, in a few bounded reads: capped counts over the (status, id) index of withdrawals, the
 * one-row controls, the per-asset halts, and the newest alarms of each table joined to their acknowledgements by
 * primary key. Alarms older than the newest 10,000 of their table are not counted: operators acknowledge in order.
 * @param timeoutMs each statement is cancelled in MySQL after this long @default 1000
 */
export async function signingStats(db: Knex, timeoutMs = 1000): Promise<SigningStats> {
  const capped = (status: string) =>
    db
      .raw(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM withdrawals WHERE status = ? LIMIT ${SIGNING_COUNT_CAP}) capped`, [status])
      .timeout(timeoutMs, { cancel: true })
      .then(([rows]: [{ n: number | string }[]]) => Number(rows[0]?.n ?? 0));
  const alarms = (source: AlertSource) =>
    db
      .raw(
        `SELECT a.kind, COUNT(*) AS n
           FROM (SELECT id, kind FROM ${alertTables[source]} ORDER BY id DESC LIMIT ${SIGNING_COUNT_CAP}) a
           LEFT JOIN alert_acks k ON k.source = ? AND k.alert_id = a.id
          WHERE k.alert_id IS NULL
          GROUP BY a.kind`,
        [source],
      )
      .timeout(timeoutMs, { cancel: true })
      .then(([rows]: [{ kind: string; n: number | string }[]]) => rows.map((r) => ({ source, kind: r.kind, count: Number(r.n) })));
  const [awaitingReview, awaitingSigning, controls, halts, signAlarms, nodeAlarms] = await Promise.all([
    capped('pending_review'),
    capped('approved'),
    db('signing_controls').where({ id: 1 }).first<{ paused: number | boolean } | undefined>('paused').timeout(timeoutMs, { cancel: true }),
    db('asset_signing_halts').where({ halted: true }).pluck<string[]>('asset').timeout(timeoutMs, { cancel: true }),
    alarms(AlertSource.sign),
    alarms(AlertSource.node),
  ]);
  return {
    awaitingReview,
    awaitingSigning,
    paused: Boolean(controls?.paused),
    haltedAssets: halts,
    openAlarms: [...signAlarms, ...nodeAlarms],
  };
}
