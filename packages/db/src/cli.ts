// `pnpm migrate`: applies pending migrations to MYSQL_URL (creating the database if needed).
// `pnpm db:grants`: gives each service its MySQL user on MYSQL_URL's database with the grants of ownership.ts (run
// after migrate, as the admin user; passwords from MYSQL_<SERVICE>_PASSWORD_FILE, see serviceUsersFromEnv).
import { commonEnv, loadEnvConfig } from '@wallet/config';
import { createLogger } from '@wallet/logger';
import { z } from 'zod';
import { applyGrants } from './applyGrants.js';
import { createDb, databaseName } from './createDb.js';
import { migrateLatest } from './migrate.js';
import { serviceUsersFromEnv } from './serviceUsersFromEnv.js';

const command = process.argv[2] ?? 'migrate';
const log = createLogger(command === 'grants' ? 'db-grants' : 'migrate');
try {
  const config = loadEnvConfig(z.object({ MYSQL_URL: commonEnv.MYSQL_URL }));
  const database = databaseName(config.MYSQL_URL);
  if (command === 'migrate') {
    const applied = await migrateLatest(config.MYSQL_URL);
    log.info({ applied, database }, applied.length ? 'migrations applied' : 'schema up to date');
  } else if (command === 'grants') {
    const users = serviceUsersFromEnv();
    const db = createDb(config.MYSQL_URL, { poolMin: 0, poolMax: 1 });
    try {
      const applied = await applyGrants(db, { database, users });
      log.info({ database, users: applied }, 'service users granted');
    } finally {
      await db.destroy();
    }
  } else {
    throw new Error(`unknown command "${command}" (migrate | grants)`);
  }
} catch (error) {
  log.fatal({ err: error }, `${command} failed`);
  process.exitCode = 1;
}
