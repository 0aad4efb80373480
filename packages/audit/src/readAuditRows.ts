import type { Knex } from '@wallet/db';

/** An audit row as stored, in the form its hash covers (see auditHash). */
export type AuditRow = {
  readonly seq: bigint;
  /** `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC). */
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  /** The stored text. */
  readonly details: string;
  readonly prevHash: string;
  readonly hash: string;
};

export type AuditRowQuery = {
  readonly order: 'asc' | 'desc';
  readonly limit: number;
  readonly afterSeq?: bigint;
  readonly beforeSeq?: bigint;
  readonly action?: string;
  readonly actor?: string;
  readonly subject?: string;
};

/**
 * One page of audit rows by seq (keyset: `afterSeq` going up, `beforeSeq` going down). Seq travels as a decimal string
 * and `at` is formatted by MySQL, so neither a JS number nor a time zone comes between the row and its hash.
 */
export async function readAuditRows(db: Knex, query: AuditRowQuery): Promise<AuditRow[]> {
  const q = db('audit_log')
    .select<
      {
        seq: string;
        at: string;
        actor: string;
        action: string;
        subject: string | null;
        details: string;
        prev_hash: string;
        hash: string;
      }[]
    >(
      db.raw('CAST(seq AS CHAR) AS seq'),
      db.raw("DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%s.%f') AS at"),
      'actor',
      'action',
      'subject',
      'details',
      'prev_hash',
      'hash',
    )
    // Qualified: a bare `seq` would name the CHAR alias above, and order as text (1, 10, 11, 2).
    .orderBy('audit_log.seq', query.order)
    .limit(query.limit);
  // CAST: an UNSIGNED compared with a string parameter would be compared as doubles.
  if (query.afterSeq !== undefined) q.where('seq', '>', db.raw('CAST(? AS UNSIGNED)', [query.afterSeq.toString()]));
  if (query.beforeSeq !== undefined) q.where('seq', '<', db.raw('CAST(? AS UNSIGNED)', [query.beforeSeq.toString()]));
  if (query.action !== undefined) q.where('action', query.action);
  if (query.actor !== undefined) q.where('actor', query.actor);
  if (query.subject !== undefined) q.where('subject', query.subject);
  const rows = await q;
  return rows.map((r) => ({
    seq: BigInt(r.seq),
    at: `${r.at.slice(0, 23)}Z`, // %f is microseconds: DATETIME(3) keeps milliseconds
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}
