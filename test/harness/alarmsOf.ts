import type { Knex } from '@wallet/db';

/**
 * The alarms of a kind about a withdrawal, oldest first, with their details parsed: from both tables, as operators see
 * them (signsrv's `sign_alerts`, transrv's `node_alerts`; each service writes its own).
 */
export async function alarmsOf(db: Knex, kind: string, withdrawalId: string): Promise<Record<string, unknown>[]> {
  const [rows] = (await db.raw(
    `SELECT details FROM (
       SELECT id, created_at, details FROM sign_alerts WHERE kind = ? AND withdrawal_id = ?
       UNION ALL
       SELECT id, created_at, details FROM node_alerts WHERE kind = ? AND withdrawal_id = ?) a
     ORDER BY created_at, id`,
    [kind, withdrawalId, kind, withdrawalId],
  )) as [{ details: string }[]];
  return rows.map((r) => JSON.parse(r.details) as Record<string, unknown>);
}
