import { type Knex, withTransaction } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { AlertKind, BlockoutRequest, type WithdrawalRow, raiseAlert } from '@wallet/withdrawal-protocol';
import { integrityProblems } from './integrity.js';
import { queueResponse } from './queueResponse.js';

export type IngestOutcome = 'queued' | 'duplicate' | 'refused' | 'malformed' | 'unknown';

/**
 * Takes blockout_req entries into signsrv's review queue. Each entry is untrusted: it is parsed, and every field is
 * compared with the withdrawal row in MySQL and with the localhash recomputed from that row. Any difference (an
 * amount or address altered in Redis, or a row altered in MySQL) refuses that entry with an alarm; nothing from an
 * entry is ever used beyond its withdrawal id. Accepted entries are queued once (keyed by withdrawal id) and
 * answered with `received` so the sender stops re-sending; a batch is one read and one transaction.
 * @returns how many entries ended each way
 */
export async function ingestRequests(db: Knex, log: Logger, raws: readonly string[]): Promise<Record<IngestOutcome, number>> {
  const counts: Record<IngestOutcome, number> = { queued: 0, duplicate: 0, refused: 0, malformed: 0, unknown: 0 };
  const parsed: BlockoutRequest[] = [];
  for (const raw of raws) {
    try {
      parsed.push(BlockoutRequest.parse(JSON.parse(raw)));
    } catch {
      log.error({ entry: raw.slice(0, 500) }, 'blockout_req: malformed entry dropped');
      counts.malformed++;
    }
  }
  if (parsed.length === 0) return counts;
  const rows = new Map(
    (await db<WithdrawalRow>('withdrawals').whereIn('id', [...new Set(parsed.map((p) => p.withdrawalId))])).map((r) => [r.id, r]),
  );
  const accepted = new Map<string, WithdrawalRow>();
  for (const p of parsed) {
    const row = rows.get(p.withdrawalId);
    if (!row) {
      await raiseAlert(db, log, AlertKind.tamperedRequest, null, { withdrawalId: p.withdrawalId, problem: 'no such withdrawal' });
      counts.unknown++;
      continue;
    }
    const problems = integrityProblems(row, p);
    if (problems.length > 0) {
      const kind = problems.length === 1 && problems[0] === 'localhash' ? AlertKind.integrityMismatch : AlertKind.tamperedRequest;
      await raiseAlert(db, log, kind, row.id, {
        fields: problems,
        received: { to: p.to, amount: p.amount.toString(), fee: p.fee.toString(), localhash: p.localhash },
      });
      counts.refused++;
      continue;
    }
    accepted.set(row.id, row);
  }
  if (accepted.size === 0) return counts;
  const queued = await withTransaction(db, async (trx) => {
    const list = [...accepted.values()];
    const [result] = (await trx.raw(
      `INSERT IGNORE INTO sign_requests (withdrawal_id, node_id, localhash, requested_by) VALUES ${list.map(() => '(?, ?, ?, ?)').join(', ')}`,
      list.flatMap((r) => [r.id, r.node_id, r.localhash, `client:${r.client_id}`]),
    )) as [{ affectedRows: number }];
    // Answered every time, also for a duplicate: a re-sent request means the sender has not seen `received`.
    await queueResponse(trx, ...list.map((r) => ({ type: 'received' as const, withdrawalId: r.id, nodeId: r.node_id })));
    return result.affectedRows;
  });
  counts.queued += queued;
  counts.duplicate += accepted.size - queued;
  return counts;
}
