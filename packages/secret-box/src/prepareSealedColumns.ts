import { type Knex, withTransaction } from '@wallet/db';
import { WalletError, isWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import { ENVELOPE_VERSION, type SecretBox } from './SecretBox.js';

/** Where a table keeps sealed secrets, for the start-up pass. */
export type SealedColumns = {
  readonly table: string;
  /** The primary key's columns: a row is read and written by them. */
  readonly primaryKey: readonly string[];
  /**
   * Each sealed column, with the plaintext column it replaces when the table had one (values written before
   * encryption, or by an older version during an upgrade): those are sealed into it and emptied.
   */
  readonly columns: readonly { readonly sealed: string; readonly plaintext?: string }[];
  /** The context a row's values are sealed for (the associated data: binds them to the row), from its primary key. */
  readonly context: (row: Readonly<Record<string, unknown>>) => string;
};

/** What the pass did to one table. */
export type SealedColumnsReport = {
  readonly table: string;
  /** Plaintext values sealed (and emptied). */
  readonly sealed: number;
  /** Values sealed again under the active key. */
  readonly rewrapped: number;
  /** Values that did not open (altered, or copied from another row): left as they are, each logged. */
  readonly unreadable: number;
};

const CHUNK = 200;

/**
 * The start-up pass of a service that owns sealed secrets. First, refuses to start when a stored value is sealed under a
 * key the ring does not hold (nothing is changed then). Then, per table, in transactions of at most 200 rows locked
 * FOR UPDATE (several instances may run it at once): seals plaintext values and empties their plaintext column, and
 * seals again under the active key every value sealed under an older one, so that the older key can then be removed
 * from the file. A value that does not open is logged (SECRET_UNREADABLE) and left: one bad row does not stop the
 * service, whose requests touching that row fail with SECRET_UNREADABLE.
 * @param variable the key file's setting, for the refusal
 * @returns one report per table
 * @throws WalletError CONFIG_INVALID naming `variable`, `details.problem` `missing_key`, `details.keyIds` (the ids not
 * loaded) and `details.table`
 */
export async function prepareSealedColumns(
  db: Knex,
  box: SecretBox,
  tables: readonly SealedColumns[],
  options: { readonly variable: string; readonly log: Logger },
): Promise<SealedColumnsReport[]> {
  for (const spec of tables) await refuseMissingKeys(db, box, spec, options.variable);
  const reports: SealedColumnsReport[] = [];
  for (const spec of tables) {
    const report = await sealTable(db, box, spec, options.log);
    reports.push(report);
    options.log.info({ ...report, activeKeyId: box.activeKeyId }, 'sealed secrets checked');
  }
  return reports;
}

/**
 * The key ids the table's values are sealed under, with how many values each.
 * @returns a map key id -> count (values that are not envelopes are not counted)
 */
export async function sealedKeyCounts(db: Knex, spec: SealedColumns): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { sealed } of spec.columns) {
    // sb1.<16 hex>.…: the key id is characters 5..20.
    const rows = await db(spec.table)
      .where(sealed, 'like', `${ENVELOPE_VERSION}.%`)
      .groupByRaw('SUBSTRING(??, 5, 16)', [sealed])
      .select<{ key_id: string; n: number | string }[]>(db.raw('SUBSTRING(??, 5, 16) AS key_id', [sealed]), db.raw('COUNT(*) AS n'));
    for (const r of rows) counts.set(r.key_id, (counts.get(r.key_id) ?? 0) + Number(r.n));
  }
  return counts;
}

async function refuseMissingKeys(db: Knex, box: SecretBox, spec: SealedColumns, variable: string): Promise<void> {
  const loaded = new Set(box.keyIds);
  const missing = [...(await sealedKeyCounts(db, spec))].filter(([id]) => !loaded.has(id));
  if (missing.length === 0) return;
  const what = missing.map(([id, n]) => `${n} under ${id}`).join(', ');
  throw new WalletError('CONFIG_INVALID', `${variable}: secrets in ${spec.table} are sealed under keys the file does not hold (${what})`, {
    details: { variables: [variable], problem: 'missing_key', table: spec.table, keyIds: missing.map(([id]) => id) },
  });
}

async function sealTable(db: Knex, box: SecretBox, spec: SealedColumns, log: Logger): Promise<SealedColumnsReport> {
  const current = `${ENVELOPE_VERSION}.${box.activeKeyId}.%`;
  // Rows with something to do, found without locks; each chunk is then read again under its lock.
  const candidates = await db(spec.table)
    .where((q) => {
      for (const c of spec.columns) {
        if (c.plaintext !== undefined) void q.orWhereNotNull(c.plaintext);
        void q.orWhere((w) => void w.whereNotNull(c.sealed).andWhereNot(c.sealed, 'like', current));
      }
    })
    .select<Record<string, unknown>[]>(...spec.primaryKey);
  let sealed = 0;
  let rewrapped = 0;
  let unreadable = 0;
  for (let i = 0; i < candidates.length; i += CHUNK) {
    const chunk = candidates.slice(i, i + CHUNK).map((row) => spec.primaryKey.map((k) => row[k]));
    await withTransaction(db, async (trx) => {
      const columns = [
        ...spec.primaryKey,
        ...spec.columns.flatMap((c) => (c.plaintext === undefined ? [c.sealed] : [c.sealed, c.plaintext])),
      ];
      const q = trx(spec.table);
      if (spec.primaryKey.length === 1) void q.whereIn(spec.primaryKey[0]!, chunk.map((k) => k[0]) as string[]);
      else void q.whereIn([...spec.primaryKey], chunk as string[][]);
      const rows = await q.forUpdate().select<Record<string, string | null>[]>(...columns);
      for (const row of rows) {
        const context = spec.context(row);
        const update: Record<string, string | null> = {};
        for (const c of spec.columns) {
          const plain = c.plaintext === undefined ? null : row[c.plaintext];
          const value = row[c.sealed];
          if (plain !== null && plain !== undefined) {
            // A plaintext value is newer than a sealed one beside it (only an older version writes plaintext).
            update[c.sealed] = box.seal(plain, context);
            update[c.plaintext!] = null;
            sealed++;
          } else if (value !== null && value !== undefined && box.keyIdOf(value) !== box.activeKeyId) {
            try {
              update[c.sealed] = box.rewrap(value, context);
              rewrapped++;
            } catch (error) {
              if (!isWalletError(error, 'SECRET_UNREADABLE')) throw error;
              unreadable++;
              log.error(
                { table: spec.table, row: context, column: c.sealed, code: error.code, reason: error.details['reason'] },
                'a sealed secret does not open: left as it is, its requests fail until it is replaced',
              );
            }
          }
        }
        if (Object.keys(update).length > 0) {
          await trx(spec.table)
            .where(Object.fromEntries(spec.primaryKey.map((k) => [k, row[k]])))
            .update(update);
        }
      }
    });
  }
  return { table: spec.table, sealed, rewrapped, unreadable };
}
