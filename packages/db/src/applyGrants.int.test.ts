import { randomBytes } from 'node:crypto';
import { isWalletError } from '@wallet/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceUser, applyGrants, dropServiceUsers, schemaOwnershipGaps } from './applyGrants.js';
import { type Db, createDb, databaseName } from './createDb.js';
import { type DbService, dbServices, tableOwnership } from './ownership.js';
import { createTestDatabase } from './testDatabase.js';
import { mysqlErrno } from './withTransaction.js';

// The services' MySQL users on a migrated schema of the real MariaDB: each may write only the tables it owns (and the
// documented column exceptions), read what the map says, and change no schema.

const ER_TABLEACCESS_DENIED = 1142;
const ER_COLUMNACCESS_DENIED = 1143;
/** A user without any privilege on the database cannot even select it. */
const ER_DBACCESS_DENIED = 1044;

let root: Db;
let url: string;
let drop: () => Promise<void>;
const tag = randomBytes(3).toString('hex');
const users = Object.fromEntries(dbServices.map((s) => [s, { user: `g${tag}_${s}`, password: randomBytes(16).toString('hex') }])) as Record<
  DbService,
  ServiceUser
>;
const as: Partial<Record<DbService, Db>> = {};

/** A pool connected as `service`'s user. */
function connect(service: DbService): Db {
  const u = new URL(url);
  u.username = users[service].user;
  u.password = users[service].password;
  return (as[service] ??= createDb(u.toString(), { poolMin: 0, poolMax: 2 }));
}

/** The MySQL error number `work` fails with (0 when it succeeds). */
async function errnoOf(work: Promise<unknown>): Promise<number> {
  try {
    await work;
    return 0;
  } catch (error) {
    return mysqlErrno(error) ?? -1;
  }
}

beforeAll(async () => {
  ({ db: root, url, drop } = await createTestDatabase());
  await applyGrants(root, { database: databaseName(url), users });
  // One withdrawal, its balance and a journal line, as transrv wrote them.
  await root('withdrawals').insert({
    id: 'wd_grants_1',
    client_id: 'cl_1',
    account_id: 'acc_1',
    node_id: 't1',
    idempotency_key: 'k1',
    request_hash: 'h'.repeat(64),
    chain: 'eth',
    asset: 'ETH',
    to_address: '0x' + '35'.repeat(20),
    amount: '100',
    fee: '1',
    localhash: 'a'.repeat(64),
    status: 'pending_review',
  });
  await root('balances').insert({ account_id: 'acc_1', asset: 'ETH', available: '0', frozen: '101' });
  await root('utxos').insert({
    chain: 'ltc',
    txid: 'ab'.repeat(32),
    vout: 0,
    script: '0014' + '11'.repeat(20),
    amount: '5000',
    block_number: 1,
    block_hash: 'cd'.repeat(32),
    account_id: 'acc_1',
  });
  await root('withdrawal_txs').insert({
    chain: 'eth',
    txid: '0x' + 'ee'.repeat(32),
    withdrawal_id: 'wd_grants_1',
    attempt: 0,
    from_address: '0x' + '44'.repeat(20),
    nonce: 0,
    raw: '0x00',
  });
});

afterAll(async () => {
  await Promise.all(Object.values(as).map((db) => db.destroy()));
  await dropServiceUsers(root, users);
  await drop?.();
});

describe("signsrv's user", () => {
  it('cannot change a withdrawal, a balance, the journal or a withdrawal event (ER_TABLEACCESS_DENIED_ERROR)', async () => {
    const signsrv = connect('signsrv');
    expect(await errnoOf(signsrv('withdrawals').where({ id: 'wd_grants_1' }).update({ status: 'approved' }))).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(signsrv.raw("UPDATE withdrawals SET status = 'approved' WHERE id = 'wd_grants_1'"))).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(signsrv.raw("UPDATE balances SET available = available + 101, frozen = 0 WHERE account_id = 'acc_1'"))).toBe(
      ER_TABLEACCESS_DENIED,
    );
    expect(
      await errnoOf(
        signsrv('journal').insert({
          entry_id: 'e1',
          node_id: 'signsrv',
          account_id: 'acc_1',
          asset: 'ETH',
          bucket: 'available',
          amount: '101',
          kind: 'release',
          ref_id: 'wd_grants_1',
        }),
      ),
    ).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(signsrv('withdrawal_events').insert({ withdrawal_id: 'wd_grants_1', to_status: 'approved', actor: 'x' }))).toBe(
      ER_TABLEACCESS_DENIED,
    );
    expect(await errnoOf(signsrv('withdrawals').where({ id: 'wd_grants_1' }).delete())).toBe(ER_TABLEACCESS_DENIED);
    const row = await root('withdrawals').where({ id: 'wd_grants_1' }).first<{ status: string }>('status');
    expect(row.status).toBe('pending_review');
    expect(await root('balances').where({ account_id: 'acc_1' }).first('available', 'frozen')).toEqual({ available: '0', frozen: '101' });
    expect(await root('journal').pluck('id')).toEqual([]);
  });

  it('reads withdrawals and writes its own tables', async () => {
    const signsrv = connect('signsrv');
    expect(await signsrv('withdrawals').where({ id: 'wd_grants_1' }).pluck('status')).toEqual(['pending_review']);
    // read with a row lock, as the signing transaction does
    await signsrv.transaction(async (trx) => {
      expect(await trx('withdrawals').where({ id: 'wd_grants_1' }).forUpdate().pluck('id')).toEqual(['wd_grants_1']);
    });
    await signsrv('sign_requests').insert({ withdrawal_id: 'wd_grants_1', node_id: 't1', localhash: 'a'.repeat(64) });
    expect(await signsrv('sign_requests').where({ withdrawal_id: 'wd_grants_1' }).update({ decision: 'approved', decided_by: 'a' })).toBe(
      1,
    );
    await signsrv('sign_alerts').insert({ kind: 'tampered_request', details: '{}' });
    const [alertId] = await signsrv('sign_alerts').pluck<number[]>('id');
    await signsrv('alert_acks').insert({ source: 'sign', alert_id: alertId, acknowledged_by: 'operator:t', comment: 'seen' });
    expect(await signsrv('withdrawal_txs').where({ withdrawal_id: 'wd_grants_1' }).update({ broadcast_at: new Date() })).toBe(1);
    expect(await signsrv('sign_alerts').where({ id: alertId }).delete()).toBe(1);
  });

  it("locks UTXOs through the lock columns only (the scanner's columns are refused: ER_COLUMNACCESS_DENIED_ERROR)", async () => {
    const signsrv = connect('signsrv');
    expect(await signsrv('utxos').where({ chain: 'ltc', vout: 0 }).update({ locked_by: 'build_1', locked_until: new Date() })).toBe(1);
    expect(
      await errnoOf(
        signsrv('utxos')
          .where({ chain: 'ltc', vout: 0 })
          .update({ spent_by_txid: 'ff'.repeat(32) }),
      ),
    ).toBe(ER_COLUMNACCESS_DENIED);
    expect(await errnoOf(signsrv('utxos').where({ chain: 'ltc', vout: 0 }).update({ amount: '1' }))).toBe(ER_COLUMNACCESS_DENIED);
    expect(await errnoOf(signsrv('utxos').where({ chain: 'ltc' }).delete())).toBe(ER_TABLEACCESS_DENIED);
    expect(
      await errnoOf(
        signsrv.raw(
          "INSERT INTO utxos (chain, txid, vout, script, amount, block_number, block_hash, account_id) VALUES ('ltc', 'x', 1, 's', 1, 1, 'h', 'a')",
        ),
      ),
    ).toBe(ER_TABLEACCESS_DENIED);
  });

  it('changes no schema: no CREATE, ALTER, DROP, TRUNCATE', async () => {
    const signsrv = connect('signsrv');
    expect(await errnoOf(signsrv.raw('CREATE TABLE probe_ddl (id INT PRIMARY KEY)'))).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(signsrv.raw('ALTER TABLE sign_alerts ADD COLUMN x INT'))).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(signsrv.raw('TRUNCATE TABLE audit_log'))).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(signsrv.raw('DROP TABLE sign_alerts'))).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(signsrv.raw('DROP TRIGGER journal_is_append_only_u'))).not.toBe(0);
  });
});

describe("transrv's user", () => {
  it("cannot write signsrv's records: sign_requests, withdrawal_txs, sign_alerts", async () => {
    const transrv = connect('transrv');
    expect(await errnoOf(transrv('sign_requests').insert({ withdrawal_id: 'wd_x', node_id: 't1', localhash: 'b'.repeat(64) }))).toBe(
      ER_TABLEACCESS_DENIED,
    );
    expect(await errnoOf(transrv('sign_requests').where({ withdrawal_id: 'wd_grants_1' }).update({ decision: 'rejected' }))).toBe(
      ER_TABLEACCESS_DENIED,
    );
    expect(await errnoOf(transrv('withdrawal_txs').where({ withdrawal_id: 'wd_grants_1' }).update({ raw: '0x01' }))).toBe(
      ER_TABLEACCESS_DENIED,
    );
    expect(
      await errnoOf(
        transrv('withdrawal_txs').insert({
          chain: 'eth',
          txid: '0x' + 'ef'.repeat(32),
          withdrawal_id: 'wd_grants_1',
          attempt: 1,
          from_address: '0x' + '44'.repeat(20),
          nonce: 0,
          raw: '0x00',
        }),
      ),
    ).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(transrv('sign_alerts').insert({ kind: 'settlement_held', details: '{}' }))).toBe(ER_TABLEACCESS_DENIED);
  });

  it('writes its own rows and reads what it checks against', async () => {
    const transrv = connect('transrv');
    expect(await transrv('withdrawals').where({ id: 'wd_grants_1' }).update({ status: 'cancelled' })).toBe(1);
    await transrv('node_alerts').insert({ kind: 'settlement_held', withdrawal_id: 'wd_grants_1', details: '{}' });
    expect(await transrv('withdrawal_txs').where({ withdrawal_id: 'wd_grants_1' }).pluck('attempt')).toEqual([0]);
    await root('withdrawals').where({ id: 'wd_grants_1' }).update({ status: 'pending_review' });
  });

  it('records its own start in transrv_nodes and nothing else there', async () => {
    const transrv = connect('transrv');
    await transrv.raw('INSERT IGNORE INTO transrv_nodes (node_id) VALUES (?)', ['tg1']);
    expect(await transrv('transrv_nodes').where({ node_id: 'tg1' }).update({ last_started_at: new Date() })).toBe(1);
    expect(await errnoOf(transrv('transrv_nodes').where({ node_id: 'tg1' }).update({ state: 'draining' }))).toBe(ER_COLUMNACCESS_DENIED);
    expect(await errnoOf(transrv('transrv_nodes').where({ node_id: 'tg1' }).increment('bound_accounts', 1))).toBe(ER_COLUMNACCESS_DENIED);
  });

  it("reads a client's proof-of-reserves salt, never its API secret, and writes nothing of clients", async () => {
    await root('clients').insert({ id: 'cl_salt', name: 'n', key_id: `ks${tag}`, secret: 's' });
    const transrv = connect('transrv');
    expect(await transrv('clients').where({ id: 'cl_salt' }).pluck('reserve_salt')).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(await errnoOf(transrv('clients').where({ id: 'cl_salt' }).select('secret'))).toBe(ER_COLUMNACCESS_DENIED);
    expect(
      await errnoOf(
        transrv('clients')
          .where({ id: 'cl_salt' })
          .update({ reserve_salt: '0'.repeat(64) }),
      ),
    ).toBe(ER_TABLEACCESS_DENIED);
  });
});

describe('gatesrv and accountsrv', () => {
  it('gatesrv reads nothing; accountsrv writes its tables, not the ledger', async () => {
    expect(await errnoOf(connect('gatesrv')('clients').select('id'))).toBe(ER_DBACCESS_DENIED);
    const accountsrv = connect('accountsrv');
    await accountsrv('clients').insert({ id: 'cl_g', name: 'n', key_id: `k${tag}`, secret: 's' });
    expect(await errnoOf(accountsrv('balances').insert({ account_id: 'acc_2', asset: 'ETH', available: '1' }))).toBe(ER_TABLEACCESS_DENIED);
    expect(await errnoOf(accountsrv('withdrawals').select('id'))).toBe(ER_TABLEACCESS_DENIED);
  });
});

describe('applyGrants', () => {
  it('converges: a grant the map does not give is revoked on the next run, and nothing else changes', async () => {
    await root.raw(`GRANT UPDATE ON \`${databaseName(url)}\`.withdrawals TO ?@'%'`, [users.signsrv.user]);
    await root.raw(`GRANT SELECT ON \`${databaseName(url)}\`.* TO ?@'%'`, [users.gatesrv.user]);
    const applied = await applyGrants(root, { database: databaseName(url), users });
    expect(applied.find((a) => a.service === 'signsrv')).toMatchObject({ granted: 0, revoked: 1 });
    expect(applied.find((a) => a.service === 'gatesrv')).toMatchObject({ granted: 0, revoked: 1 });
    expect(applied.find((a) => a.service === 'transrv')).toMatchObject({ granted: 0, revoked: 0 });
    // new connections see the privileges as they are now
    await as.signsrv?.destroy();
    await as.gatesrv?.destroy();
    delete as.signsrv;
    delete as.gatesrv;
    expect(await errnoOf(connect('signsrv')('withdrawals').where({ id: 'wd_grants_1' }).update({ status: 'approved' }))).toBe(
      ER_TABLEACCESS_DENIED,
    );
    expect(await errnoOf(connect('gatesrv')('withdrawals').select('id'))).toBe(ER_DBACCESS_DENIED);
  });

  it('refuses a schema with a table that has no owner in the map', async () => {
    await root.raw('CREATE TABLE stray_table (id INT PRIMARY KEY)');
    try {
      await expect(applyGrants(root, { database: databaseName(url), users })).rejects.toSatisfy(
        (e: unknown) => isWalletError(e, 'CONFIG_INVALID') && (e.details['unowned'] as string[]).includes('stray_table'),
      );
    } finally {
      await root.raw('DROP TABLE stray_table');
    }
  });

  it('refuses a malformed user name', async () => {
    await expect(
      applyGrants(root, { database: databaseName(url), users: { signsrv: { user: "x'; DROP USER root; --", password: 'p' } } }),
    ).rejects.toSatisfy((e: unknown) => isWalletError(e, 'CONFIG_INVALID'));
  });
});

describe('ownership map', () => {
  it('names the owner of every table of the migrated schema, and only tables the migrations create', async () => {
    expect(await schemaOwnershipGaps(root, databaseName(url))).toEqual({ unowned: [], notMigrated: [] });
    expect(Object.keys(tableOwnership).length).toBeGreaterThan(40);
  });
});
