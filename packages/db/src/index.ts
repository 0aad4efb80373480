export { type Db, type DbOptions, createDb, databaseName, dropDatabase, ensureDatabase } from './createDb.js';
export { migrateLatest, migrateRollbackAll } from './migrate.js';
export { isDuplicateKey, mysqlErrno, withTransaction } from './withTransaction.js';
export type { Knex } from 'knex';
export { createTestDatabase } from './testDatabase.js';
