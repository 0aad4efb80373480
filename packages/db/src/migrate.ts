import type { Knex } from 'knex';
import { createDb, ensureDatabase } from './createDb.js';
import { migrations } from './migrations/index.js';

/** Serves the migrations from code (not the filesystem), so they run the same from source and from dist. */
const source: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([n]) => n === name);
    if (!found) throw new Error(`unknown migration ${name}`);
    return found[1];
  },
};

/**
 * Creates the database if needed and applies every pending migration. Safe to run concurrently from
 * several processes: knex takes a lock table.
 * @returns names of the migrations applied by this call
 */
export async function migrateLatest(url: string): Promise<string[]> {
  await ensureDatabase(url);
  const db = createDb(url, { poolMin: 0, poolMax: 2 });
  try {
    const [, applied] = (await db.migrate.latest({ migrationSource: source })) as [number, string[]];
    return applied;
  } finally {
    await db.destroy();
  }
}

/** Rolls back every migration (tests of the down path). */
export async function migrateRollbackAll(url: string): Promise<void> {
  const db = createDb(url, { poolMin: 0, poolMax: 2 });
  try {
    await db.migrate.rollback({ migrationSource: source }, true);
  } finally {
    await db.destroy();
  }
}
