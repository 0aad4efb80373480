import { randomBytes } from 'node:crypto';
import { type Db, createDb, dropDatabase } from './createDb.js';
import { migrateLatest } from './migrate.js';

/**
 * For this package's own tests only: other packages use @wallet/testkit's, which is built on this package.
 * A fresh, migrated database on the real MariaDB for one test file; `drop()` removes it.
 * @param rootUrl server URL without a database @default MYSQL_ROOT_URL or mysql://root@127.0.0.1:3306
 */
export async function createTestDatabase(
  rootUrl = process.env['MYSQL_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306',
): Promise<{ url: string; db: Db; drop: () => Promise<void> }> {
  const url = `${rootUrl.replace(/\/$/, '')}/wallet_t_${randomBytes(4).toString('hex')}`;
  await migrateLatest(url);
  const db = createDb(url, { poolMin: 0, poolMax: 40 });
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      await dropDatabase(url);
    },
  };
}
