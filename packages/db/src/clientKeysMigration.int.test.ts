import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, createDb, dropDatabase, ensureDatabase } from './createDb.js';
import { migrations } from './migrations/index.js';

// Migration 0023_client_keys on a database holding clients of the earlier version: each client's key becomes its
// first client_keys record (every scope, any source, its secrets and rotation overlap moved), and the way back puts
// the secrets back on the client.

const rootUrl = (process.env['MYSQL_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const upTo = (name: string) => migrations.slice(0, migrations.findIndex(([n]) => n === name) + 1);
const sourceOf = (list: typeof migrations): Knex.MigrationSource<string> => ({
  getMigrations: async () => list.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => list.find(([n]) => n === name)![1],
});

let db: Db;
let url: string;
const expiry = new Date(Date.now() + 3_600_000);

beforeAll(async () => {
  url = `${rootUrl}/wallet_t_ck${Math.random().toString(16).slice(2, 10)}`;
  await ensureDatabase(url);
  db = createDb(url, { poolMin: 0, poolMax: 2 });
  await db.migrate.latest({ migrationSource: sourceOf(upTo('0022_client_views')) });
  await db('clients').insert([
    { id: 'cl_a', name: 'A', key_id: 'key_a', secret: 'secret-a', created_at: new Date('2024-01-01T00:00:00Z') },
    {
      id: 'cl_b',
      name: 'B',
      key_id: 'key_b',
      secret: 'secret-b2',
      status: 'disabled',
      previous_secret: 'secret-b1',
      previous_secret_expires_at: expiry,
    },
  ]);
  await db.migrate.latest({ migrationSource: sourceOf(upTo('0023_client_keys')) });
});

afterAll(async () => {
  await db?.destroy();
  await dropDatabase(url);
});

describe('migration 0023_client_keys (real MariaDB)', () => {
  it("moves each client's key, secrets and overlap into client_keys with every scope and any source", async () => {
    const keys = await db('client_keys').orderBy('key_id');
    expect(keys).toEqual([
      expect.objectContaining({
        key_id: 'key_a',
        client_id: 'cl_a',
        secret: 'secret-a',
        previous_secret: null,
        scopes: 'read,transfer,withdraw',
        allowed_cidrs: '',
        status: 'active',
        created_at: new Date('2024-01-01T00:00:00Z'),
      }),
      expect.objectContaining({
        key_id: 'key_b',
        client_id: 'cl_b',
        secret: 'secret-b2',
        previous_secret: 'secret-b1',
        previous_secret_expires_at: new Date(Math.floor(expiry.getTime())),
        scopes: 'read,transfer,withdraw',
        // The client's disable stays on the client (it still applies to every key of it).
        status: 'active',
      }),
    ]);
    // The secrets now live in one place only.
    expect(await db('clients').orderBy('id').select('id', 'key_id', 'secret', 'previous_secret', 'status')).toEqual([
      { id: 'cl_a', key_id: 'key_a', secret: null, previous_secret: null, status: 'active' },
      { id: 'cl_b', key_id: 'key_b', secret: null, previous_secret: null, status: 'disabled' },
    ]);
  });

  it('refuses a key without a scope or with an unknown one', async () => {
    for (const scopes of ['', 'admin', 'read,admin', 'read,']) {
      await expect(db('client_keys').insert({ key_id: `key_x${scopes.length}`, client_id: 'cl_a', secret: 's', scopes })).rejects.toThrow();
    }
  });

  it('goes back: the first key is the client key again, with its secrets', async () => {
    await db('client_keys').insert({ key_id: 'key_a2', client_id: 'cl_a', secret: 'secret-a2', scopes: 'read' });
    await db.migrate.down({ migrationSource: sourceOf(upTo('0023_client_keys')) });
    expect(await db('clients').orderBy('id').select('id', 'key_id', 'secret', 'previous_secret')).toEqual([
      { id: 'cl_a', key_id: 'key_a', secret: 'secret-a', previous_secret: null },
      { id: 'cl_b', key_id: 'key_b', secret: 'secret-b2', previous_secret: 'secret-b1' },
    ]);
    expect(await db.schema.hasTable('client_keys')).toBe(false);
  });
});
