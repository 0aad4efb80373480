import type { Knex } from '@wallet/db';
import type { InFlightTx, SignedPayout, StoredTx } from './PayoutFamily.js';

// Ages of a `withdrawal_txs t` row in milliseconds, computed by MySQL from the times it wrote itself, so no clock of
// this process is ever compared with the database's. Since it was last sent (or signed, if it never was):
export const SINCE_SENT_MS =
  'TIMESTAMPDIFF(MICROSECOND, COALESCE(t.last_broadcast_at, t.broadcast_at, t.created_at), CURRENT_TIMESTAMP(3)) DIV 1000';
// Since it was signed:
const AGE_MS = 'TIMESTAMPDIFF(MICROSECOND, t.created_at, CURRENT_TIMESTAMP(3)) DIV 1000';

/**
 * Whether the scanner saw one of the transactions of the withdrawal `t.withdrawal_id` mined (a transaction is observed
 * once, whichever withdrawals it pays: membership is `withdrawal_txs`'), as a correlated subquery.
 */
export const OBSERVED_SQL = `SELECT 1 FROM withdrawal_txs mt JOIN withdrawal_observations mo ON mo.chain = mt.chain AND mo.txid = mt.txid
  WHERE mt.withdrawal_id = t.withdrawal_id`;

/** A transaction about to be stored, and sent once stored. */
export type NewTx = InFlightTx;

/**
 * The rows of a signed transaction, one per withdrawal it pays, as they are stored and then sent (not yet broadcast).
 * @param attempt 0 for the first transaction of the withdrawals, one more per replacement
 * @param withdrawals each member's localhash and owning node
 * @throws Error when a member is not among `withdrawals` (a programming error)
 */
export function newTxs(
  chain: string,
  signed: SignedPayout,
  attempt: number,
  withdrawals: ReadonlyMap<string, { readonly localhash: string; readonly node_id: string }>,
): NewTx[] {
  if (signed.members.length === 0) throw new Error(`transaction ${signed.txid} pays no withdrawal`);
  return signed.members.map((m) => {
    const w = withdrawals.get(m.withdrawalId);
    if (!w) throw new Error(`transaction ${signed.txid} pays ${m.withdrawalId}, which is not being signed`);
    return {
      // First, so that a family's column can never stand in for a shared one.
      ...signed.columns,
      ...m.columns,
      chain,
      txid: signed.txid,
      withdrawal_id: m.withdrawalId,
      attempt,
      from_address: signed.from,
      nonce: signed.nonce === null ? null : String(signed.nonce),
      raw: signed.raw,
      created_at: new Date(),
      broadcast_at: null,
      last_broadcast_at: null,
      localhash: w.localhash,
      node_id: w.node_id,
    };
  });
}

/** Stores signed transactions in `withdrawal_txs`, inside the caller's (signing or replacing) transaction. */
export async function insertTxs(trx: Knex.Transaction, txs: readonly NewTx[]): Promise<void> {
  if (txs.length === 0) return;
  await trx('withdrawal_txs').insert(
    txs.map(({ localhash: _l, node_id: _n, created_at: _c, broadcast_at: _b, last_broadcast_at: _lb, ...row }) => row),
  );
}

/** The latest transaction of every withdrawal in flight that the scanner has not seen mined, with its ages. */
export async function latestInFlight(
  db: Knex,
  limit = 200,
): Promise<(InFlightTx & { age_ms: string | number; since_sent_ms: string | number })[]> {
  const [rows] = (await db.raw(
    `SELECT t.*, w.localhash, w.node_id, ${AGE_MS} AS age_ms, ${SINCE_SENT_MS} AS since_sent_ms
     FROM withdrawal_txs t
     JOIN (SELECT withdrawal_id, MAX(attempt) AS attempt FROM withdrawal_txs GROUP BY withdrawal_id) la
       ON la.withdrawal_id = t.withdrawal_id AND la.attempt = t.attempt
     JOIN withdrawals w ON w.id = t.withdrawal_id
     WHERE w.status IN ('approved', 'signed', 'broadcast')
       AND NOT EXISTS (${OBSERVED_SQL})
     ORDER BY t.chain, t.nonce, t.txid, t.withdrawal_id LIMIT ?`,
    [limit],
  )) as [(InFlightTx & { age_ms: string | number; since_sent_ms: string | number })[]];
  return rows;
}

/**
 * Settled withdrawals whose block a reorg deeper than their confirmations dropped (the scanner marked them): the
 * transaction that was mined, to be sent again until it is mined again.
 */
export async function droppedSettled(db: Knex, limit = 50): Promise<(InFlightTx & { since_sent_ms: string | number })[]> {
  const [rows] = (await db.raw(
    `SELECT t.*, w.localhash, w.node_id, ${SINCE_SENT_MS} AS since_sent_ms
     FROM withdrawal_observations o
     JOIN withdrawal_txs t ON t.chain = o.chain AND t.txid = o.txid
     JOIN withdrawals w ON w.id = t.withdrawal_id
     WHERE o.dropped = 1 AND w.status IN ('confirmed', 'failed')
     ORDER BY t.chain, t.nonce LIMIT ?`,
    [limit],
  )) as [(InFlightTx & { since_sent_ms: string | number })[]];
  return rows;
}

/** One attempt of a withdrawal's transactions, with how long since it was last sent; undefined when there is none. */
export async function attemptOf(
  db: Knex,
  withdrawalId: string,
  attempt: number,
): Promise<(StoredTx & { since_sent_ms: string | number }) | undefined> {
  const [rows] = (await db.raw(
    `SELECT t.*, ${SINCE_SENT_MS} AS since_sent_ms FROM withdrawal_txs t WHERE t.withdrawal_id = ? AND t.attempt = ?`,
    [withdrawalId, attempt],
  )) as [(StoredTx & { since_sent_ms: string | number })[]];
  return rows[0];
}
