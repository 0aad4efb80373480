import knex, { type Knex } from 'knex';
import { traceQueries } from './placementTrace.js';

export type Db = Knex;

/** MySQL's collation id of utf8mb4_bin (the handshake's character set number). */
const UTF8MB4_BIN = 46;

export type DbOptions = {
  /** @default 2 */
  readonly poolMin?: number;
  /** @default 20 */
  readonly poolMax?: number;
  /**
   * Which of a transrv node's two databases this pool is (docs/sharding.md): recorded with each statement when
   * WALLET_DB_TRACE_DIR traces them, so the census finds a statement sent to the wrong one. @default none (one database)
   */
  readonly placement?: 'global' | 'shard';
};

/**
 * Opens a knex pool on MariaDB/MySQL through mysql2. DECIMAL and BIGINT columns come back as strings
 * (never JS numbers), so money is parsed to bigint without loss; times are UTC, in the session as in the driver.
 * @param url `mysql://user:pass@host:port/database`
 */
export function createDb(url: string, options: DbOptions = {}): Db {
  const u = new URL(url);
  const db = knex({
    client: 'mysql2',
    connection: {
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username || 'root'),
      password: decodeURIComponent(u.password),
      database: databaseName(url),
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      timezone: 'Z',
      // utf8mb4 with the binary collation, given by number: knex copies a `charset` option into every CREATE TABLE
      // (`default character set utf8mb4`, which means utf8mb4_general_ci), while without it new tables inherit the
      // database's utf8mb4_bin. Identifiers, keys and addresses compare byte-exact (see migration 0006).
      charsetNumber: UTF8MB4_BIN,
    },
    pool: {
      min: options.poolMin ?? 2,
      max: options.poolMax ?? 20,
      // The session's clock in UTC, as the driver reads and writes DATETIMEs (timezone 'Z'): otherwise
      // CURRENT_TIMESTAMP(3) defaults are written in the server's zone and read back as UTC, and every age computed
      // from them (re-send, fee bump) is off by the server's UTC offset.
      afterCreate: (
        conn: { query: (sql: string, cb: (error: Error | null) => void) => void },
        done: (error: Error | null, conn: unknown) => void,
      ) => {
        conn.query("SET time_zone = '+00:00'", (error) => done(error, conn));
      },
    },
    acquireConnectionTimeout: 10_000,
  });
  traceQueries(db, options.placement);
  return db;
}

/** The database name of a MYSQL_URL. */
export function databaseName(url: string): string {
  const name = new URL(url).pathname.replace(/^\//, '');
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`MYSQL_URL must name a database ([A-Za-z0-9_]): got "${name}"`);
  return name;
}

/**
 * Creates the database of `url` if it does not exist (migrations need it to connect), and makes utf8mb4_bin its
 * default collation, so every table created later inherits it: ids, keys and addresses compare byte-exact. An
 * existing database is altered here too, before the migrations' pool connects: a session keeps the default of the
 * database as it was when the session selected it, so a table created by a connection opened before
 * 0006_binary_collation altered it would still be case-insensitive.
 */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const u = new URL(url);
  u.pathname = '/mysql';
  const admin = createDb(u.toString(), { poolMin: 0, poolMax: 1 });
  try {
    await admin.raw(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await admin.raw(`ALTER DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.destroy();
  }
}

/** Drops the database of `url` (test clean-up). */
export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const u = new URL(url);
  u.pathname = '/mysql';
  const admin = createDb(u.toString(), { poolMin: 0, poolMax: 1 });
  try {
    await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await admin.destroy();
  }
}
