import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, createDb, dropDatabase, ensureDatabase } from './createDb.js';
import { migrations } from './migrations/index.js';

// Migration 0027 on a database that already has clients: each existing client gets its own secret salt (the column's
// default, drawn per row), a client inserted later gets one too, whatever code inserts it. Its down path runs.

const rootUrl = (process.env['MYSQL_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');
const at = migrations.findIndex(([n]) => n === '0027_reserves');
const sourceOf = (list: typeof migrations): Knex.MigrationSource<string> => ({
  getMigrations: async () => list.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => list.find(([n]) => n === name)![1],
});
const before0027 = sourceOf(migrations.slice(0, at));
const through0027 = sourceOf(migrations.slice(0, at + 1));

let open: { db: Db; url: string } | undefined;
afterEach(async () => {
  await open?.db.destroy();
  if (open) await dropDatabase(open.url);
  open = undefined;
});

describe('migration 0027_reserves', () => {
  it('gives every existing client its own salt, and every later one', async () => {
    const url = `${rootUrl}/wallet_t_${randomBytes(4).toString('hex')}`;
    await ensureDatabase(url);
    const db = createDb(url, { poolMin: 0, poolMax: 2 });
    open = { db, url };
    await db.migrate.latest({ migrationSource: before0027 });
    const existing = Array.from({ length: 20 }, (_, i) => ({ id: `c${i}`, name: `n${i}`, key_id: `k${i}`, secret: 's' }));
    await db('clients').insert(existing);

    await db.migrate.latest({ migrationSource: through0027 });
    await db('clients').insert({ id: 'cNew', name: 'new', key_id: 'kNew', secret: 's' });
    const salts = await db('clients').pluck<string[]>('reserve_salt');
    expect(salts).toHaveLength(21);
    for (const s of salts) expect(s).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(salts).size).toBe(21);

    await db.migrate.down({ migrationSource: through0027 });
    expect(await db.schema.hasColumn('clients', 'reserve_salt')).toBe(false);
    expect(await db.schema.hasTable('reserve_reports')).toBe(false);
  });
});
