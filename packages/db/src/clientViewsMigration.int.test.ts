import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, createDb, dropDatabase, ensureDatabase } from './createDb.js';
import { migrations } from './migrations/index.js';

// Migration 0022 on a database that already has deposits: client_id is filled from each deposit's account, and a
// deposit without an account stops the migration before the column becomes NOT NULL. Its down path runs.

const rootUrl = (process.env['MYSQL_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const upTo = (name: string) => migrations.slice(0, migrations.findIndex(([n]) => n === name) + 1);
const sourceOf = (list: typeof migrations): Knex.MigrationSource<string> => ({
  getMigrations: async () => list.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => list.find(([n]) => n === name)![1],
});
const before0022 = sourceOf(upTo('0021_review_risk_indexes'));
const through0022 = sourceOf(upTo('0022_client_views'));

let open: { db: Db; url: string } | undefined;
afterEach(async () => {
  await open?.db.destroy();
  if (open) await dropDatabase(open.url);
  open = undefined;
});

async function databaseAt0021(): Promise<Db> {
  const url = `${rootUrl}/wallet_t_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(url);
  const db = createDb(url, { poolMin: 0, poolMax: 2 });
  open = { db, url };
  await db.migrate.latest({ migrationSource: before0022 });
  await db('transrv_nodes').insert({ node_id: 't1' });
  await db('clients').insert([
    { id: 'cA', name: 'A', key_id: 'kA', secret: 's' },
    { id: 'cB', name: 'B', key_id: 'kB', secret: 's' },
  ]);
  await db('accounts').insert([
    { id: 'accA', client_id: 'cA', external_id: 'a', node_id: 't1' },
    { id: 'accB', client_id: 'cB', external_id: 'b', node_id: 't1' },
  ]);
  return db;
}

const deposit = (id: string, accountId: string) => ({
  id,
  chain: 'eth',
  txid: `0x${id.padEnd(64, '0')}`,
  output_index: -1,
  asset: 'ETH',
  address: '0xaddr',
  account_id: accountId,
  node_id: 't1',
  amount: '1',
  block_number: 1,
  block_hash: '0xb',
  status: 'credited',
});

describe('migration 0022_client_views', () => {
  it("fills deposits.client_id from each deposit's account, then makes it NOT NULL; down and up again", async () => {
    const db = await databaseAt0021();
    await db('deposits').insert([deposit('d1', 'accA'), deposit('d2', 'accB'), deposit('d3', 'accA')]);
    await db.migrate.latest({ migrationSource: through0022 });
    expect(await db('deposits').orderBy('id').select('id', 'client_id')).toEqual([
      { id: 'd1', client_id: 'cA' },
      { id: 'd2', client_id: 'cB' },
      { id: 'd3', client_id: 'cA' },
    ]);
    await expect(db('deposits').insert({ ...deposit('d4', 'accA'), client_id: null })).rejects.toMatchObject({ errno: 1048 });
    // a reference is unique per client and byte-exact; none (NULL) repeats freely
    const withdrawal = (id: string, clientId: string, reference: string | null) => ({
      id,
      client_id: clientId,
      account_id: 'accA',
      node_id: 't1',
      idempotency_key: id,
      request_hash: 'h',
      chain: 'eth',
      asset: 'ETH',
      to_address: '0xto',
      amount: '1',
      fee: '0',
      localhash: 'l',
      status: 'pending_review',
      reference,
    });
    await db('withdrawals').insert([
      withdrawal('w1', 'cA', 'same'),
      withdrawal('w2', 'cB', 'same'),
      withdrawal('w3', 'cA', 'SAME'),
      withdrawal('w4', 'cA', null),
      withdrawal('w5', 'cA', null),
    ]);
    await expect(db('withdrawals').insert(withdrawal('w6', 'cA', 'same'))).rejects.toMatchObject({ errno: 1062 });

    await db.migrate.down({ migrationSource: through0022 });
    expect(await db.schema.hasColumn('deposits', 'client_id')).toBe(false);
    expect(await db.schema.hasColumn('withdrawals', 'reference')).toBe(false);
    await db.migrate.latest({ migrationSource: through0022 });
    expect(await db('deposits').where({ id: 'd2' }).first('client_id')).toEqual({ client_id: 'cB' });
  });

  it('stops, naming them, at deposits whose account does not exist', async () => {
    const db = await databaseAt0021();
    await db('deposits').insert([deposit('d1', 'accA'), deposit('lost1', 'acc_gone')]);
    await expect(db.migrate.latest({ migrationSource: through0022 })).rejects.toThrow(/lost1/);
  });
});
