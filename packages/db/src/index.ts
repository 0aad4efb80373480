export { type Db, type DbOptions, createDb, databaseName, dropDatabase, ensureDatabase } from './createDb.js';
export { migrateLatest, migrateRollbackAll } from './migrate.js';
