import type { Db } from '@wallet/db';
import { type WithdrawalStatus, terminalStatuses, withdrawalStatuses } from '@wallet/withdrawal-protocol';

/** Non-final statuses, in the order of a withdrawal's life. */
const stages = withdrawalStatuses.filter((s) => !terminalStatuses.has(s));

/** Counting stops here: a gauge that reads 10,000 says "at least", and the query stays an index range of that size. */
export const STAGE_COUNT_CAP = 10_000;

/** One non-final status of a node's withdrawals. */
export type WithdrawalStageStat = {
  readonly status: WithdrawalStatus;
  /** Withdrawals in it, up to {@link STAGE_COUNT_CAP}. */
  readonly count: number;
  /** Seconds the longest-waiting one has been in it (since its last change); 0 when none is. */
  readonly oldestSeconds: number;
};

/**
 * How many of `nodeId`'s withdrawals are in each non-final status, and how long the oldest has waited there: one
 * statement, an index range read per status (index (node_id, status, updated_at), migration 0038), bounded by the cap.
 * @param timeoutMs the statement is cancelled in MySQL after this long @default 1000
 */
export async function withdrawalStageStats(db: Db, nodeId: string, timeoutMs = 1000): Promise<WithdrawalStageStat[]> {
  const parts = stages.map(
    () => `SELECT ? AS status,
      (SELECT COUNT(*) FROM (SELECT 1 FROM withdrawals WHERE node_id = ? AND status = ? LIMIT ${STAGE_COUNT_CAP}) capped) AS n,
      (SELECT TIMESTAMPDIFF(MICROSECOND, MIN(updated_at), CURRENT_TIMESTAMP(3)) FROM withdrawals WHERE node_id = ? AND status = ?) AS age_us`,
  );
  const bindings = stages.flatMap((s) => [s, nodeId, s, nodeId, s]);
  const [rows] = (await db.raw(parts.join(' UNION ALL '), bindings).timeout(timeoutMs, { cancel: true })) as [
    { status: WithdrawalStatus; n: number | string; age_us: number | string | null }[],
  ];
  return rows.map((r) => ({ status: r.status, count: Number(r.n), oldestSeconds: r.age_us === null ? 0 : Number(r.age_us) / 1e6 }));
}
