import { WalletError } from '@wallet/errors';
import type { Knex } from 'knex';
import { type DbService, type Grant, type TableOwnership, grantsOf, migrationTables, tableOwnership } from './ownership.js';

/** A service's MySQL account. */
export type ServiceUser = {
  readonly user: string;
  readonly password: string;
  /** @default '%' (any host: the services connect over TCP) */
  readonly host?: string;
};

export type ApplyGrantsOptions = {
  /** The database whose tables are granted (already migrated). */
  readonly database: string;
  /** The users to create or update, by service; services left out are not touched. */
  readonly users: Partial<Record<DbService, ServiceUser>>;
  /** The ownership map. @default tableOwnership */
  readonly tables?: Readonly<Record<string, TableOwnership>>;
};

/** What {@link applyGrants} changed for one service. */
export type GrantsApplied = { readonly service: DbService; readonly user: string; readonly granted: number; readonly revoked: number };

const IDENT = /^[A-Za-z0-9_]{1,64}$/;
const USER = /^[A-Za-z0-9_]{1,80}$/;
const HOST = /^[A-Za-z0-9_.%:-]{1,255}$/;

/** How REVOKE names the privileges that mysql.tables_priv spells otherwise. */
const REVOKE_AS: Record<string, string> = { GRANT: 'GRANT OPTION', 'DELETE VERSIONING ROWS': 'DELETE HISTORY' };

/** `privilege|table|column` (column empty for a table-wide privilege). */
const key = (privilege: string, table: string, column: string | null) => `${privilege}|${table}|${column ?? ''}`;

/**
 * Gives each service its own MySQL user with exactly the privileges the ownership map allows on `database`: SELECT,
 * INSERT, UPDATE, DELETE on the tables it owns, SELECT on those it reads, the column grants of the documented
 * exceptions, nothing else (no DDL: migrations run as the admin user). Creates a missing user (`CREATE USER IF NOT
 * EXISTS ... IDENTIFIED BY`) and sets its password to the one given (the secret file is the truth). Privileges on
 * `database` that the map does not give (a grant left from an older map, a database-wide grant) are revoked, so
 * running it again converges; grants on other databases are left alone. Idempotent.
 *
 * @param rootDb a connection with the right to create users and grant (the admin user that runs migrations)
 * Tables of the map that `database` does not have yet are skipped (the map may be ahead of the migrations run there).
 *
 * @throws WalletError CONFIG_INVALID when an identifier is malformed, or when a table of `database` has no owner in
 * ownership.ts (a new migration must declare its table's owner)
 */
export async function applyGrants(rootDb: Knex, options: ApplyGrantsOptions): Promise<GrantsApplied[]> {
  const { database } = options;
  const tables = options.tables ?? tableOwnership;
  if (!IDENT.test(database)) throw invalid(`database name "${database}" is not [A-Za-z0-9_]{1,64}`, { database });
  const absent = new Set(await checkSchema(rootDb, database, tables));

  const applied: GrantsApplied[] = [];
  for (const [service, account] of Object.entries(options.users) as [DbService, ServiceUser | undefined][]) {
    if (account === undefined) continue;
    const host = account.host ?? '%';
    if (!USER.test(account.user)) throw invalid(`MySQL user name "${account.user}" is not [A-Za-z0-9_]{1,80}`, { service });
    if (!HOST.test(host)) throw invalid(`MySQL host "${host}" is malformed`, { service });
    if (account.password.length === 0) throw invalid(`the MySQL password of ${service} is empty`, { service });
    const who = [account.user, host];
    await rootDb.raw('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [...who, account.password]);
    await rootDb.raw('ALTER USER ?@? IDENTIFIED BY ?', [...who, account.password]);

    const wanted = grantsOf(service, tables).filter((g) => !absent.has(g.table));
    const wantedKeys = new Set(wanted.flatMap((g) => (g.columns ?? [null]).map((c) => key(g.privilege, g.table, c))));
    const held = await heldPrivileges(rootDb, database, account.user, host);
    let revoked = 0;
    if (held.databaseWide) {
      await rootDb.raw(`REVOKE ALL PRIVILEGES ON \`${database}\`.* FROM ?@?`, who);
      revoked++;
    }
    for (const h of held.grants) {
      if (wantedKeys.has(key(h.privilege, h.table, h.column))) continue;
      const privilege = REVOKE_AS[h.privilege] ?? h.privilege;
      const columns = h.column === null ? '' : ` (\`${h.column}\`)`;
      await rootDb.raw(`REVOKE ${privilege}${columns} ON \`${database}\`.\`${h.table}\` FROM ?@?`, who);
      revoked++;
    }
    const heldKeys = new Set(held.grants.map((h) => key(h.privilege, h.table, h.column)));
    let granted = 0;
    for (const [table, grants] of groupByTable(wanted)) {
      const missing = grants.filter((g) => (g.columns ?? [null]).some((c) => !heldKeys.has(key(g.privilege, table, c))));
      if (missing.length === 0) continue;
      const list = missing.map((g) =>
        g.columns === null ? g.privilege : `${g.privilege} (${g.columns.map((c) => `\`${c}\``).join(', ')})`,
      );
      await rootDb.raw(`GRANT ${list.join(', ')} ON \`${database}\`.\`${table}\` TO ?@?`, who);
      granted += missing.length;
    }
    applied.push({ service, user: account.user, granted, revoked });
  }
  return applied;
}

/**
 * Drops service users (a test cluster's, when it stops). Users that do not exist are skipped.
 */
export async function dropServiceUsers(rootDb: Knex, users: Partial<Record<DbService, ServiceUser>>): Promise<void> {
  for (const account of Object.values(users)) {
    if (account === undefined || !USER.test(account.user)) continue;
    await rootDb.raw('DROP USER IF EXISTS ?@?', [account.user, account.host ?? '%']);
  }
}

/**
 * The tables of `database` that the map does not name (a migration whose table has no owner yet), and the mapped
 * tables the database does not have.
 */
export async function schemaOwnershipGaps(
  db: Knex,
  database: string,
  tables: Readonly<Record<string, TableOwnership>> = tableOwnership,
): Promise<{ unowned: string[]; notMigrated: string[] }> {
  const [rows] = (await db.raw(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    [database],
  )) as [{ name: string }[]];
  const present = new Set(rows.map((r) => r.name).filter((n) => !migrationTables.includes(n)));
  return {
    unowned: [...present].filter((t) => !(t in tables)),
    notMigrated: Object.keys(tables)
      .filter((t) => !present.has(t))
      .sort(),
  };
}

/**
 * Refuses a schema with a table the map does not name; returns the map's tables the schema does not have yet (a map
 * ahead of the migrations run there: nothing to grant on them).
 */
async function checkSchema(db: Knex, database: string, tables: Readonly<Record<string, TableOwnership>>): Promise<string[]> {
  const { unowned, notMigrated } = await schemaOwnershipGaps(db, database, tables);
  if (unowned.length > 0) {
    throw invalid(`tables of ${database} without an owner in packages/db/src/ownership.ts: ${unowned.join(', ')}`, { database, unowned });
  }
  return notMigrated;
}

type Held = { privilege: string; table: string; column: string | null };

/** The privileges `user@host` holds on `database`: table-wide and per column, and whether any database-wide one. */
async function heldPrivileges(db: Knex, database: string, user: string, host: string): Promise<{ databaseWide: boolean; grants: Held[] }> {
  const [dbRows] = (await db.raw('SELECT 1 AS x FROM mysql.db WHERE User = ? AND Host = ? AND Db = ?', [user, host, database])) as [
    unknown[],
  ];
  const [tableRows] = (await db.raw(
    'SELECT Table_name AS t, Table_priv AS p FROM mysql.tables_priv WHERE User = ? AND Host = ? AND Db = ?',
    [user, host, database],
  )) as [{ t: string; p: string }[]];
  const [columnRows] = (await db.raw(
    'SELECT Table_name AS t, Column_name AS c, Column_priv AS p FROM mysql.columns_priv WHERE User = ? AND Host = ? AND Db = ?',
    [user, host, database],
  )) as [{ t: string; c: string; p: string }[]];
  const split = (set: string) =>
    set
      .split(',')
      .filter(Boolean)
      .map((p) => p.toUpperCase());
  return {
    databaseWide: dbRows.length > 0,
    grants: [
      ...tableRows.flatMap((r) => split(r.p).map((privilege) => ({ privilege, table: r.t, column: null }))),
      ...columnRows.flatMap((r) => split(r.p).map((privilege) => ({ privilege, table: r.t, column: r.c }))),
    ],
  };
}

function groupByTable(grants: readonly Grant[]): Map<string, Grant[]> {
  const byTable = new Map<string, Grant[]>();
  for (const g of grants) byTable.set(g.table, [...(byTable.get(g.table) ?? []), g]);
  return byTable;
}

function invalid(message: string, details: Record<string, unknown>): WalletError {
  return new WalletError('CONFIG_INVALID', message, { details });
}
