import type { Knex } from 'knex';

const COLLATION = 'utf8mb4_bin';

/**
 * The columns that hold an account id (accounts.id) as a request spelled it. Until now a request naming an account
 * in another case was served, so any of these may hold a second spelling of an account's id. withdrawals.account_id
 * too, but it is covered by the withdrawal's localhash (signsrv holds a copy): it is not rewritten (see up).
 */
const ACCOUNT_ID_COLUMNS: ReadonlyArray<readonly [table: string, column: string]> = [
  ['addresses', 'account_id'],
  ['balances', 'account_id'],
  ['journal', 'account_id'],
  ['transfers', 'from_account_id'],
  ['transfers', 'to_account_id'],
  ['transfer_credits', 'to_account_id'],
  ['deposits', 'account_id'],
];

/** The foreign keys between string columns at 0005 (knex's names); MariaDB changes neither side while they exist. */
const FOREIGN_KEYS = [
  { name: 'accounts_client_id_foreign', table: 'accounts', column: 'client_id', references: 'clients', to: 'id' },
  { name: 'accounts_node_id_foreign', table: 'accounts', column: 'node_id', references: 'transrv_nodes', to: 'node_id' },
  { name: 'addresses_account_id_foreign', table: 'addresses', column: 'account_id', references: 'accounts', to: 'id' },
] as const;

// As 0002 created it.
const JOURNAL_APPEND_ONLY_U = `
    CREATE TRIGGER journal_is_append_only_u BEFORE UPDATE ON journal FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal is append-only: post a reversing entry'`;

/**
 * Every string column compares byte-exact (utf8mb4_bin). Until now knex created each table with `default character
 * set utf8mb4`, i.e. utf8mb4_general_ci, whatever the database's default: `CaseUser1` and `caseuser1` were one
 * externalId (two customers, one wallet), `RACE-1` replayed `race-1`'s withdrawal through the unique key on
 * (client_id, idempotency_key), and a lower-cased account id was found, served and written (journal, balances,
 * withdrawals, addresses) under a second spelling. Ids, keys, nonces and external ids are opaque: only the exact
 * bytes name them. Addresses are stored in one canonical form per chain by the code that writes them, and looked up
 * in that form.
 *
 * 1. Account ids stored under a second spelling are rewritten to the account's own (found case-insensitively, while
 *    the columns still are), so no journal line, balance, address, deposit or transfer is cut off from its account by
 *    the change. The journal's no-update trigger is lifted for that only when a journal line needs it; no amount is
 *    touched. A withdrawal stored under a second spelling stops the migration before it changes anything: its
 *    localhash covers the spelling (rewriting it would be tampering as signsrv sees it), so an operator decides.
 * 2. The database default becomes utf8mb4_bin, so tables created by later migrations inherit it (createDb no longer
 *    names a character set in CREATE TABLE; migrateLatest's ensureDatabase sets the default too, before its pool
 *    connects, as a session keeps the default the database had when it connected).
 * 3. The foreign keys are dropped, each table with a non-binary string column is converted (its rows are copied;
 *    unique keys only become stricter, so no row can collide), knex's own tables too, and the foreign keys are added
 *    again, which checks every row byte-exact. Each step is skipped when already done, so a run that stopped half-way
 *    (MySQL DDL is not transactional) can be run again.
 *
 * Triggers compare NEW and OLD columns, which take the column's new collation; ENUM values are lower-case and written
 * so by the code. Converting copies each table: plan the downtime for a large journal.
 */
export async function up(db: Knex): Promise<void> {
  await canonicalAccountIds(db);
  await db.raw(`ALTER DATABASE CHARACTER SET utf8mb4 COLLATE ${COLLATION}`);
  for (const fk of FOREIGN_KEYS) await db.raw('ALTER TABLE ?? DROP FOREIGN KEY IF EXISTS ??', [fk.table, fk.name]);
  for (const table of await tablesToConvert(db)) {
    await db.raw(`ALTER TABLE ?? CONVERT TO CHARACTER SET utf8mb4 COLLATE ${COLLATION}`, [table]);
  }
  for (const fk of FOREIGN_KEYS) {
    await db.raw('ALTER TABLE ?? ADD CONSTRAINT ?? FOREIGN KEY IF NOT EXISTS (??) REFERENCES ?? (??)', [
      fk.table,
      fk.name,
      fk.column,
      fk.references,
      fk.to,
    ]);
  }
}

/**
 * Kept binary: going back to case-insensitive keys could merge identities that are distinct by then (two accounts
 * whose externalIds differ in case would make the unique key fail anyway). The code of earlier versions works on
 * binary columns unchanged.
 */
export async function down(): Promise<void> {}

/** `FROM <table> t JOIN accounts`: rows whose account id matches an account's only case-insensitively. */
const respelled = (table: string, column: string): [string, string[]] => [
  'FROM ?? t JOIN accounts a ON a.id = t.?? WHERE CAST(t.?? AS BINARY) <> CAST(a.id AS BINARY)',
  [table, column, column],
];

async function canonicalAccountIds(db: Knex): Promise<void> {
  // Joined on the column's own collation, case-insensitive until converted.
  const [sql, bindings] = respelled('withdrawals', 'account_id');
  const [withdrawals] = (await db.raw(`SELECT t.id ${sql} LIMIT 20`, bindings)) as [{ id: string }[]];
  if (withdrawals.length > 0) {
    throw new Error(
      `0006_binary_collation: withdrawals stored under a second spelling of their account id (${withdrawals.map((w) => w.id).join(', ')}); ` +
        'their localhash covers it, so an operator must settle them before ids compare byte-exact',
    );
  }
  for (const [table, column] of ACCOUNT_ID_COLUMNS) {
    const [from, bindings] = respelled(table, column);
    const [[{ n }]] = (await db.raw(`SELECT COUNT(*) AS n ${from}`, bindings)) as [[{ n: number | string }]];
    if (Number(n) === 0) continue;
    const journal = table === 'journal';
    if (journal) await db.raw('DROP TRIGGER journal_is_append_only_u');
    try {
      await db.raw('UPDATE ?? t JOIN accounts a ON a.id = t.?? SET t.?? = a.id WHERE CAST(t.?? AS BINARY) <> CAST(a.id AS BINARY)', [
        table,
        column,
        column,
        column,
      ]);
    } finally {
      if (journal) await db.raw(JOURNAL_APPEND_ONLY_U);
    }
  }
}

/** Tables whose default or some string column (ENUM and TEXT included) is not utf8mb4_bin yet. */
async function tablesToConvert(db: Knex): Promise<string[]> {
  const [rows] = (await db.raw(
    `SELECT t.TABLE_NAME AS name
       FROM information_schema.TABLES t
      WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
        AND (t.TABLE_COLLATION <> ? OR EXISTS (
              SELECT 1 FROM information_schema.COLUMNS c
               WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
                 AND c.COLLATION_NAME IS NOT NULL AND c.COLLATION_NAME <> ?))
      ORDER BY t.TABLE_NAME`,
    [COLLATION, COLLATION],
  )) as [{ name: string }[]];
  return rows.map((r) => r.name);
}
