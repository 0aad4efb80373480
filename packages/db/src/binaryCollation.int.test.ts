import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, createDb, dropDatabase } from './createDb.js';
import { migrateLatest } from './migrate.js';
import { migrations } from './migrations/index.js';
import { createTestDatabase } from './testDatabase.js';
import { isDuplicateKey, mysqlErrno } from './withTransaction.js';

const rootUrl = (process.env['MYSQL_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const BEFORE_0006 = migrations.slice(
  0,
  migrations.findIndex(([name]) => name === '0006_binary_collation'),
);
const AFTER_0005 = migrations.slice(BEFORE_0006.length).map(([name]) => name);

/**
 * The pool of the versions before 0006: knex copied the connection's `charset: 'utf8mb4'` into every CREATE TABLE,
 * so every table came out utf8mb4_general_ci.
 */
function earlierVersionDb(url: string): Knex {
  const u = new URL(url);
  return knex({
    client: 'mysql2',
    connection: {
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username || 'root'),
      password: decodeURIComponent(u.password),
      database: u.pathname.slice(1),
      supportBigNumbers: true,
      bigNumberStrings: true,
      timezone: 'Z',
      charset: 'utf8mb4',
    },
    pool: { min: 0, max: 2 },
  });
}

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => BEFORE_0006.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => BEFORE_0006.find(([n]) => n === name)![1],
};

async function userTables(db: Db): Promise<string[]> {
  const [rows] = (await db.raw(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
  )) as [{ name: string }[]];
  return rows.map((r) => r.name);
}

/** Every row of every table but knex's bookkeeping, in primary-key order, as the driver reads it. */
async function contents(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of await userTables(db)) {
    if (table.startsWith('knex_')) continue;
    const [rows] = (await db.raw('SELECT * FROM ?? ORDER BY 1, 2', [table])) as [unknown[]];
    out[table] = rows;
  }
  return out;
}

/** What is not utf8mb4_bin: the database default, table defaults and string columns (ENUM and TEXT included). */
async function notBinary(db: Db): Promise<string[]> {
  const [schema] = (await db.raw('SELECT DEFAULT_COLLATION_NAME AS c FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()')) as [
    { c: string }[],
  ];
  const [tables] = (await db.raw(
    "SELECT TABLE_NAME AS t, TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'",
  )) as [{ t: string; c: string }[]];
  const [columns] = (await db.raw(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS col, COLLATION_NAME AS c FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND COLLATION_NAME IS NOT NULL`,
  )) as [{ t: string; col: string; c: string }[]];
  expect(columns.length).toBeGreaterThan(100); // the query sees the string columns at all
  return [
    ...schema.filter((r) => r.c !== 'utf8mb4_bin').map((r) => `database: ${r.c}`),
    ...tables.filter((r) => r.c !== 'utf8mb4_bin').map((r) => `${r.t}: ${r.c}`),
    ...columns.filter((r) => r.c !== 'utf8mb4_bin').map((r) => `${r.t}.${r.col}: ${r.c}`),
  ];
}

async function errnoOf(work: Promise<unknown>): Promise<number | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return mysqlErrno(error) ?? -1;
  }
}

const ACC = 'acc_01JCASE0000000000000000001';
const withdrawal = (id: string, key: string) => ({
  id,
  client_id: 'cl_A',
  account_id: ACC,
  node_id: 'n1',
  idempotency_key: key,
  request_hash: 'h'.repeat(64),
  chain: 'eth',
  asset: 'ETH',
  to_address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  amount: '1000000000000000000000000000001',
  fee: '7',
  localhash: 'a'.repeat(64),
  status: 'pending_review',
});
const transfer = (id: string, key: string) => ({
  id,
  client_id: 'cl_A',
  idempotency_key: key,
  request_hash: 'h'.repeat(64),
  from_account_id: ACC,
  to_account_id: 'acc_other',
  from_node_id: 'n1',
  to_node_id: 'n1',
  asset: 'ETH',
  amount: '5',
  status: 'completed',
});

/** A database created by hand (server default collation) and migrated to 0005 by the earlier code, then `seed`. */
async function earlierVersionDatabase(seed: (old: Knex) => Promise<void>): Promise<string> {
  const url = `${rootUrl}/wallet_t_${randomBytes(4).toString('hex')}`;
  const admin = createDb(`${rootUrl}/mysql`, { poolMin: 0, poolMax: 1 });
  await admin.raw(`CREATE DATABASE \`${new URL(url).pathname.slice(1)}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await admin.destroy();
  const old = earlierVersionDb(url);
  try {
    await old.migrate.latest({ migrationSource: source });
    await old('transrv_nodes').insert({ node_id: 'n1' });
    await old('clients').insert({ id: 'cl_A', name: 'Exchange A', key_id: 'key_A', secret: 's3cr3t' });
    await old('accounts').insert({ id: ACC, client_id: 'cl_A', external_id: 'CaseUser1', node_id: 'n1' });
    await seed(old);
  } finally {
    await old.destroy();
  }
  return url;
}

/** The tables of `shape`, each row cut to the columns its row in `shape` has. */
function projectOnto(rows: Record<string, unknown[]>, shape: Record<string, unknown[]>): Record<string, unknown[]> {
  return Object.fromEntries(
    Object.entries(shape).map(([table, shapeRows]) => [
      table,
      (rows[table] ?? []).map((row, i) =>
        Object.fromEntries(Object.keys((shapeRows[i] ?? row) as object).map((k) => [k, (row as Record<string, unknown>)[k]])),
      ),
    ]),
  );
}

/** `value` with every string equal to `from` replaced by `to`, however deep. */
function respell(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => respell(v, from, to));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, respell(v, from, to)]));
  }
  return value;
}

describe('migration 0006_binary_collation on a database of an earlier version (real MariaDB)', () => {
  const lower = ACC.toLowerCase();
  let url: string;
  let db: Db;

  beforeAll(async () => {
    url = await earlierVersionDatabase(async (old) => {
      const address = (i: number, accountId: string, key: string) => ({
        chain: 'eth',
        address: `0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe${i}`,
        derivation_index: i,
        path: `m/44'/60'/0'/0/${i}`,
        account_id: accountId,
        client_id: 'cl_A',
        idempotency_key: key,
      });
      await old('addresses').insert(address(0, ACC, 'Addr-1'));
      // What the earlier version stored for requests that named the account in lower case.
      await old('addresses').insert(address(1, lower, 'Addr-2'));
      await old('balances').insert({ account_id: ACC, asset: 'ETH', available: '12345678901234567890123456789', frozen: '0' });
      await old('balances').insert({ account_id: lower, asset: 'BTC', available: '5', frozen: '0' });
      const line = (entry: string, accountId: string, amount: string) => ({
        entry_id: entry,
        node_id: 'n1',
        account_id: accountId,
        asset: 'ETH',
        bucket: 'available',
        amount,
        kind: 'deposit',
        ref_id: `Ref-${entry}`,
      });
      await old('journal').insert([
        line('e1', 'sys:inflow:eth', '-5'),
        line('e1', ACC, '5'),
        line('e2', 'sys:inflow:eth', '-3'),
        line('e2', lower, '3'),
      ]);
      await old('transfers').insert(transfer('tr_1', 'RACE-1'));
      await old('transfers').insert({ ...transfer('tr_0', 'K-0'), from_account_id: 'acc_other', to_account_id: lower });
      await old('transfer_credits').insert({
        transfer_id: 'tr_0',
        to_node_id: 'n1',
        from_node_id: 'n1',
        to_account_id: lower,
        asset: 'ETH',
        amount: '5',
      });
      await old('deposits').insert({
        id: 'dep_1',
        chain: 'eth',
        txid: `0x${'ab'.repeat(32)}`,
        output_index: -1,
        asset: 'ETH',
        address: '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae1',
        account_id: lower,
        node_id: 'n1',
        amount: '3',
        block_number: 7,
        block_hash: `0x${'cd'.repeat(32)}`,
        status: 'credited',
      });
      await old('withdrawals').insert(withdrawal('wd_1', 'RACE-1'));
      await old('withdrawal_outbox').insert({ withdrawal_id: 'wd_1', node_id: 'n1', payload: '{"note":"äöü € 😀"}' });
      await old('sign_requests').insert({ withdrawal_id: 'wd_1', node_id: 'n1', localhash: 'a'.repeat(64), decision: 'voided' });
      await old('hot_wallets').insert({ chain: 'eth', address: '0xabc0000000000000000000000000000000000001', active: true });
      await old('nonce_counters').insert({ chain: 'eth', address: '0xabc0000000000000000000000000000000000001', next_nonce: 3 });
      // The earlier schema is case-insensitive: the same externalId in another case collides.
      const collides = await errnoOf(old('accounts').insert({ id: 'acc_2', client_id: 'cl_A', external_id: 'caseuser1', node_id: 'n1' }));
      expect(collides).toBe(1062);
    });
    db = createDb(url, { poolMin: 0, poolMax: 4 });
  });

  afterAll(async () => {
    await db?.destroy();
    await dropDatabase(url);
  });

  it('keeps every row, makes every string column utf8mb4_bin and case-differing values distinct', async () => {
    expect((await notBinary(db)).length).toBeGreaterThan(100); // what the earlier version left: case-insensitive
    const before = await contents(db);
    expect(before['accounts']).toHaveLength(1);
    expect(JSON.stringify(before)).toContain(lower);

    expect(await migrateLatest(url)).toEqual(AFTER_0005);

    // Every row as it was (the columns it had: later migrations may add some), except that the second spelling of
    // the account id is now the account's own, and that the client's secret moved to its key's row (0023).
    const after = await contents(db);
    const expected = respell(before, lower, ACC) as Record<string, Record<string, unknown>[]>;
    expected['clients'] = expected['clients']!.map((c) => ({ ...c, secret: null }));
    expect(projectOnto(after, before)).toEqual(expected);
    expect(after['client_keys']).toEqual([expect.objectContaining({ key_id: 'key_A', client_id: 'cl_A', secret: 's3cr3t' })]);
    expect(JSON.stringify(after)).not.toContain(lower);
    expect(await notBinary(db)).toEqual([]);

    // Values that differ only in case are distinct keys now.
    await db('accounts').insert({ id: 'acc_2', client_id: 'cl_A', external_id: 'caseuser1', node_id: 'n1' });
    await db('withdrawals').insert(withdrawal('wd_2', 'race-1'));
    await db('transfers').insert(transfer('tr_2', 'race-1'));
    await db('transrv_nodes').insert({ node_id: 'N1' });
    await db('accounts').insert({ id: ACC.toLowerCase(), client_id: 'cl_A', external_id: 'CaseUser2', node_id: 'n1' });
    // ... and the same value is still one.
    expect(
      isDuplicateKey(
        await db('withdrawals')
          .insert(withdrawal('wd_3', 'race-1'))
          .catch((e: unknown) => e),
      ),
    ).toBe(true);
    expect(await db('accounts').where({ client_id: 'cl_A', external_id: 'CASEUSER1' }).first()).toBeUndefined();

    // Foreign keys still hold, byte-exact: no address for an account id spelled another way, no unknown node.
    expect(
      await errnoOf(
        db('addresses').insert({
          chain: 'eth',
          address: '0x01',
          derivation_index: 99,
          path: 'p',
          account_id: ACC.toUpperCase(),
          client_id: 'cl_A',
        }),
      ),
    ).toBe(1452);
    expect(await errnoOf(db('accounts').insert({ id: 'acc_3', client_id: 'CL_A', external_id: 'x', node_id: 'n1' }))).toBe(1452);
    // The binding trigger compares byte-exact too: n1 -> N1 is a move to another node, refused.
    expect(await errnoOf(db('accounts').where({ id: ACC }).update({ node_id: 'N1' }))).toBe(1644);
    // The journal stays append-only (its update trigger was lifted and put back for the rewrite).
    expect(await errnoOf(db('journal').where({ entry_id: 'e1' }).del())).toBe(1644);
    expect(await errnoOf(db('journal').where({ entry_id: 'e1' }).update({ kind: 'x' }))).toBe(1644);

    // Tables created later (by later migrations: a pool that connects after migrateLatest's ensureDatabase, without a
    // character set of its own in CREATE TABLE) inherit utf8mb4_bin.
    const later = createDb(url, { poolMin: 0, poolMax: 1 });
    try {
      await later.schema.createTable('later_table', (t) => {
        t.string('key', 40).primary();
        t.text('body');
      });
      expect(await notBinary(later)).toEqual([]);
      await later.schema.dropTable('later_table');
    } finally {
      await later.destroy();
    }

    expect(await migrateLatest(url)).toEqual([]);
  });
});

describe('migration 0006_binary_collation with a withdrawal stored under a second spelling of its account id', () => {
  let url: string;

  beforeAll(async () => {
    url = await earlierVersionDatabase(async (old) => {
      await old('journal').insert({
        entry_id: 'e1',
        node_id: 'n1',
        account_id: ACC.toLowerCase(),
        asset: 'ETH',
        bucket: 'frozen',
        amount: '1',
        kind: 'withdrawal_freeze',
        ref_id: 'wd_1',
      });
      await old('withdrawals').insert({ ...withdrawal('wd_1', 'K-1'), account_id: ACC.toLowerCase() });
    });
  });

  afterAll(async () => {
    await dropDatabase(url);
  });

  it('changes nothing and stops: the localhash covers the spelling, an operator decides', async () => {
    const db = createDb(url, { poolMin: 0, poolMax: 2 });
    try {
      const before = await contents(db);
      const tablesNotBinary = async () => (await notBinary(db)).filter((s) => !s.startsWith('database:'));
      const unconverted = await tablesNotBinary();
      await expect(migrateLatest(url)).rejects.toThrow(/wd_1/);
      expect(await contents(db)).toEqual(before);
      expect(await tablesNotBinary()).toEqual(unconverted);
      expect(await db('knex_migrations').pluck('name')).not.toContain('0006_binary_collation');
    } finally {
      await db.destroy();
    }
  });
});

describe('a database created by this version', () => {
  let db: Db;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    ({ db, drop } = await createTestDatabase());
  });

  afterAll(async () => {
    await drop?.();
  });

  it('is utf8mb4_bin throughout, knex tables included', async () => {
    expect(await userTables(db)).toEqual(expect.arrayContaining(['accounts', 'knex_migrations', 'knex_migrations_lock']));
    expect(await notBinary(db)).toEqual([]);
    const [[session]] = (await db.raw('SELECT @@session.collation_connection AS c')) as [[{ c: string }]];
    expect(session.c).toBe('utf8mb4_bin');
  });
});
