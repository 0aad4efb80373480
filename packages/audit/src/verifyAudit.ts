import type { Knex } from '@wallet/db';
import { GENESIS_HASH, auditHash } from './auditHash.js';
import { readAuditRows, type AuditRow } from './readAuditRows.js';

/**
 * Why the chain is broken at a row:
 * - `hash`: the row's fields no longer give its stored hash (a field was changed);
 * - `prev_hash`: the row does not record its predecessor's hash (the predecessor was changed and re-hashed, or this
 *   row's prev_hash was);
 * - `gap`: the row with this seq is missing (deleted);
 * - `head`: the chain's end disagrees with `audit_head` (the tail was deleted or re-hashed, or rows follow the head).
 */
export type AuditProblem = 'hash' | 'prev_hash' | 'gap' | 'head';

/** The outcome of {@link verifyAudit}. */
export type AuditVerification =
  | {
      readonly ok: true;
      /** Entries in the chain. */
      readonly count: bigint;
      /** The last entry's hash (GENESIS_HASH for an empty log). */
      readonly head: string;
    }
  | {
      readonly ok: false;
      /** The first broken row (for `gap` and a truncated tail: the first missing seq). */
      readonly seq: bigint;
      readonly problem: AuditProblem;
      /** One line for an operator. */
      readonly message: string;
      /** What the chain says the value should be, and what is stored (hashes; seqs for `gap`; `seq:hash` for `head`). */
      readonly expected: string;
      readonly actual: string;
      /** Entries found intact before the break. */
      readonly checked: bigint;
    };

/** Progress of a walk: entries checked so far out of the head's seq. */
export type AuditProgress = { readonly checked: bigint; readonly total: bigint };

export type VerifyAuditOptions = {
  /** Called after each page. */
  onProgress?: (progress: AuditProgress) => void;
  /** Rows read per query. @default 1000 */
  pageSize?: number;
};

/**
 * Walks the audit chain in seq order, a page at a time (keyset on seq), and names the first broken row. Every row must
 * follow the one before it (seq + 1, starting at 1), record its hash as prev_hash (GENESIS_HASH for seq 1), and hash
 * to its stored hash; the last one must be what `audit_head` says.
 *
 * The walk reads one REPEATABLE READ snapshot, so entries appended meanwhile neither appear half-way nor look like a
 * head mismatch. It proves the rows are the ones written unless someone rewrote the tail and the head together (MySQL
 * root can): only a copy of the head kept elsewhere catches that.
 * @param db the database (not a transaction: the walk opens its own)
 * @param options progress callback and page size
 * @returns ok with the count and head hash, or the first broken row and why
 */
export async function verifyAudit(db: Knex, options: VerifyAuditOptions = {}): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 1000;
  return db.transaction(
    async (trx) => {
      const [heads] = (await trx.raw('SELECT CAST(seq AS CHAR) AS seq, hash FROM audit_head WHERE id = 1')) as [
        { seq: string; hash: string }[],
      ];
      const head = heads[0] ? { seq: BigInt(heads[0].seq), hash: heads[0].hash } : undefined;
      const total = head?.seq ?? 0n;
      let last = { seq: 0n, hash: GENESIS_HASH };
      for (;;) {
        const rows = await readAuditRows(trx, { afterSeq: last.seq, limit: pageSize, order: 'asc' });
        for (const row of rows) {
          const broken = checkRow(row, last);
          if (broken) return broken;
          last = { seq: row.seq, hash: row.hash };
        }
        options.onProgress?.({ checked: last.seq, total });
        if (rows.length < pageSize) break;
      }
      return checkHead(head, last);
    },
    { isolationLevel: 'repeatable read' },
  );
}

type Link = { readonly seq: bigint; readonly hash: string };

function checkRow(row: AuditRow, previous: Link): AuditVerification | undefined {
  const expectedSeq = previous.seq + 1n;
  const checked = previous.seq;
  if (row.seq !== expectedSeq) {
    return {
      ok: false,
      seq: expectedSeq,
      problem: 'gap',
      message: `entry ${expectedSeq} is missing: entry ${row.seq} follows entry ${previous.seq}`,
      expected: expectedSeq.toString(),
      actual: row.seq.toString(),
      checked,
    };
  }
  if (row.prevHash !== previous.hash) {
    return {
      ok: false,
      seq: row.seq,
      problem: 'prev_hash',
      message:
        row.seq === 1n
          ? 'entry 1 does not start from the genesis hash'
          : `entry ${row.seq} does not record entry ${previous.seq}'s hash: entry ${previous.seq} was changed and re-hashed (or entry ${row.seq}'s prev_hash was changed)`,
      expected: previous.hash,
      actual: row.prevHash,
      checked,
    };
  }
  const computed = auditHash(row);
  if (computed !== row.hash) {
    return {
      ok: false,
      seq: row.seq,
      problem: 'hash',
      message: `entry ${row.seq} was changed: its fields do not hash to its stored hash`,
      expected: computed,
      actual: row.hash,
      checked,
    };
  }
  return undefined;
}

function checkHead(head: Link | undefined, last: Link): AuditVerification {
  const broken = (seq: bigint, message: string): AuditVerification => ({
    ok: false,
    seq,
    problem: 'head',
    message,
    expected: head ? `${head.seq}:${head.hash}` : 'an audit_head row',
    actual: `${last.seq}:${last.hash}`,
    checked: last.seq,
  });
  if (!head) return broken(1n, 'audit_head has no row: the head of the chain was deleted');
  if (last.seq < head.seq) {
    return broken(
      last.seq + 1n,
      `${last.seq + 1n === head.seq ? `entry ${head.seq} is` : `entries ${last.seq + 1n} to ${head.seq} are`} missing: the chain ends at ${last.seq} but the head is at ${head.seq}`,
    );
  }
  if (last.seq > head.seq) {
    return broken(
      head.seq + 1n,
      `entries ${head.seq + 1n} to ${last.seq} follow the head (${head.seq}): they were not appended through it`,
    );
  }
  if (last.hash !== head.hash) {
    return broken(last.seq, `entry ${last.seq}, the last, is not the one the head recorded: it was changed and re-hashed`);
  }
  return { ok: true, count: last.seq, head: last.hash };
}
