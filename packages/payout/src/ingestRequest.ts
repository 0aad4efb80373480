import { type Knex, withTransaction } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { BlockoutRequest, type WithdrawalRow } from '@wallet/withdrawals';
import { integrityProblems } from './integrity.js';
import { queueResponse } from './queueResponse.js';
import { AlertKind, raiseAlert } from './raiseAlert.js';

export type IngestOutcome = 'queued' | 'duplicate' | 'refused' | 'malformed' | 'unknown';

/**
 * Takes one blockout_req entry into signsrv's review queue. The entry is untrusted: it is parsed, and every field
 * is compared with the withdrawal row in MySQL and with the localhash recomputed from that row. Any difference
 * (an amount or address altered in Redis, or a row altered in MySQL) refuses it with an alarm; nothing from the
 * entry is ever used beyond its withdrawal id. Accepted entries are queued once (keyed by withdrawal id) and
 * answered with `received` so the sender stops re-sending.
 */
export async function ingestRequest(db: Knex, log: Logger, raw: string): Promise<IngestOutcome> {
  let parsed: BlockoutRequest;
  try {
    parsed = BlockoutRequest.parse(JSON.parse(raw));
  } catch {
    log.error({ entry: raw.slice(0, 500) }, 'blockout_req: malformed entry dropped');
    return 'malformed';
  }
  const row = await db<WithdrawalRow>('withdrawals').where({ id: parsed.withdrawalId }).first();
  if (!row) {
    await raiseAlert(db, log, AlertKind.tamperedRequest, null, { withdrawalId: parsed.withdrawalId, problem: 'no such withdrawal' });
    return 'unknown';
  }
  const problems = integrityProblems(row, parsed);
  if (problems.length > 0) {
    await raiseAlert(
      db,
      log,
      problems.includes('localhash') && problems.length === 1 ? AlertKind.integrityMismatch : AlertKind.tamperedRequest,
      row.id,
      {
        fields: problems,
        received: { to: parsed.to, amount: parsed.amount.toString(), fee: parsed.fee.toString(), localhash: parsed.localhash },
      },
    );
    return 'refused';
  }
  return withTransaction(db, async (trx) => {
    const [result] = (await trx.raw('INSERT IGNORE INTO sign_requests (withdrawal_id, node_id, localhash) VALUES (?, ?, ?)', [
      row.id,
      row.node_id,
      row.localhash,
    ])) as [{ affectedRows: number }];
    // Answered every time, also for a duplicate: a re-sent request means the sender has not seen `received`.
    await queueResponse(trx, { type: 'received', withdrawalId: row.id, nodeId: row.node_id });
    return result.affectedRows === 1 ? 'queued' : 'duplicate';
  });
}
