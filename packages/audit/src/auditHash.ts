import { createHash } from 'node:crypto';

/** The prev_hash of the first entry (seq 1): 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields of an audit row that its hash covers, exactly as stored. */
export type AuditHashInput = {
  readonly seq: bigint;
  /** `YYYY-MM-DDTHH:MM:SS.mmmZ`: the stored DATETIME(3), which is UTC, to the millisecond. */
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  /** The stored details text itself (canonical JSON when appendAudit wrote it), not a re-encoding of it. */
  readonly details: string;
  readonly prevHash: string;
};

/**
 * The hash of an audit row, chaining it to the one before.
 *
 * hash = lowercase hex SHA-256 of the UTF-8 bytes of the JSON text (JSON.stringify, no whitespace) of the array
 *   [ seq,       decimal string, e.g. "42"
 *     at,        "2026-12-08T10:15:30.123Z"
 *     actor,     e.g. "user:alice"
 *     action,    e.g. "withdrawal_approved"
 *     subject,   string or null
 *     details,   the details column's text, as a JSON string (so a changed byte there changes the hash)
 *     prevHash ] 64 lowercase hex characters: the previous row's hash, or GENESIS_HASH for seq 1
 *
 * An array, not a concatenation: no field can run into the next (`ab`+`c` vs `a`+`bc`).
 * @param row the stored fields
 * @returns 64 lowercase hex characters
 */
export function auditHash(row: AuditHashInput): string {
  const text = JSON.stringify([row.seq.toString(), row.at, row.actor, row.action, row.subject, row.details, row.prevHash]);
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
