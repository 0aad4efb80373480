// `pnpm migrate`: applies pending migrations to MYSQL_URL (creating the database if needed).
import { commonEnv, loadEnvConfig } from '@wallet/config';
import { createLogger } from '@wallet/logger';
import { z } from 'zod';
import { migrateLatest } from './migrate.js';

const log = createLogger('migrate');
try {
  const config = loadEnvConfig(z.object({ MYSQL_URL: commonEnv.MYSQL_URL }));
  const applied = await migrateLatest(config.MYSQL_URL);
  log.info({ applied, database: new URL(config.MYSQL_URL).pathname.slice(1) }, applied.length ? 'migrations applied' : 'schema up to date');
} catch (error) {
  log.fatal({ err: error }, 'migration failed');
  process.exitCode = 1;
}
