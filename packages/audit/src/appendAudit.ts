import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { auditHash } from './auditHash.js';
import { canonicalJson } from './canonicalJson.js';

/** What happened, by whom, to what. */
export type AuditEntryInput = {
  /** Who did it, by kind: `user:alice`, `automation:bot`, `policy:auto`, `signsrv`. At most 100 characters. */
  actor: string;
  /** What was done: `login`, `login_failed`, `withdrawal_approved`, `policy_changed`, `signed`. At most 64. */
  action: string;
  /** What it was done to: a withdrawal id, a username. At most 100 characters. */
  subject?: string | null;
  /** Anything else worth keeping, stored as canonical JSON (bigints as strings). At most 65,535 bytes. */
  details?: Record<string, unknown>;
};

/** MySQL's TEXT holds at most this many bytes; strict mode refuses more, and a non-strict server would cut it. */
const MAX_DETAILS_BYTES = 65_535;

/**
 * Appends an entry to the hash-chained audit log inside the caller's transaction, so the audited change and its
 * entry commit or roll back together (a rolled-back entry leaves no row and no gap).
 *
 * It locks the one-row `audit_head` FOR UPDATE until the caller's transaction ends: every other append waits, which is
 * what keeps seq gap-free and the chain unforked. Call it as the last statement of the transaction, so the head is held
 * for as short a time as possible and no lock is taken after it (a transaction that took the head and then waits on a
 * row another appender holds would deadlock with it; `withTransaction` runs a deadlock victim again).
 *
 * `at` is the database's UTC clock when the head lock is held, so it never goes backwards along seq (short of the
 * server's clock being set back). What is hashed is exactly what is stored: see {@link auditHash}.
 * @param trx the caller's transaction
 * @param entry the entry (see {@link AuditEntryInput} for the limits)
 * @returns the entry's seq and hash
 * @throws WalletError VALIDATION_FAILED for an empty or too long field, a string that is not well-formed Unicode, or
 *   details without a canonical JSON form
 */
export async function appendAudit(trx: Knex.Transaction, entry: AuditEntryInput): Promise<{ seq: bigint; hash: string }> {
  const actor = checkedText(entry.actor, 'actor', 100);
  const action = checkedText(entry.action, 'action', 64);
  const subject = entry.subject === undefined || entry.subject === null ? null : checkedText(entry.subject, 'subject', 100);
  const details = canonicalJson(entry.details ?? {});
  if (Buffer.byteLength(details, 'utf8') > MAX_DETAILS_BYTES) {
    throw new WalletError('VALIDATION_FAILED', `audit details are longer than ${MAX_DETAILS_BYTES} bytes`, {
      details: { field: 'details' },
    });
  }

  const [heads] = (await trx.raw('SELECT CAST(seq AS CHAR) AS seq, hash FROM audit_head WHERE id = 1 FOR UPDATE')) as [
    { seq: string; hash: string }[],
  ];
  const head = heads[0];
  if (!head) throw new WalletError('INTERNAL', 'audit_head has no row: the audit log is not migrated or was damaged');
  // Its own statement, after the lock is granted: CURRENT_TIMESTAMP is fixed when a statement starts, which for the
  // locking read above can be long before it got the lock. Formatted by MySQL, so no driver or session time zone
  // is involved between what is stored and what is hashed.
  const [[clock]] = (await trx.raw("SELECT DATE_FORMAT(UTC_TIMESTAMP(3), '%Y-%m-%d %H:%i:%s.%f') AS at")) as [[{ at: string }]];
  const at = clock.at.slice(0, 23); // YYYY-MM-DD HH:MM:SS.mmm (%f has six digits, the last three zero)

  const seq = BigInt(head.seq) + 1n;
  const hash = auditHash({ seq, at: `${at.replace(' ', 'T')}Z`, actor, action, subject, details, prevHash: head.hash });
  await trx('audit_log').insert({ seq: seq.toString(), at, actor, action, subject, details, prev_hash: head.hash, hash });
  // After the insert: the head's trigger checks that it lands on this row.
  await trx.raw('UPDATE audit_head SET seq = CAST(? AS UNSIGNED), hash = ? WHERE id = 1', [seq.toString(), hash]);
  return { seq, hash };
}

/** Code points, as VARCHAR counts them; a lone surrogate would be stored as U+FFFD and no longer match its hash. */
function checkedText(value: string, field: string, max: number): string {
  if (value.length === 0 || [...value].length > max || /\p{Cs}/u.test(value)) {
    throw new WalletError('VALIDATION_FAILED', `audit ${field} must be 1 to ${max} characters of well-formed Unicode`, {
      details: { field },
    });
  }
  return value;
}
