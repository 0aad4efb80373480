export { type Db, type DbOptions, createDb, databaseName, dropDatabase, ensureDatabase } from './createDb.js';
export { migrateLatest, migrateRollbackAll } from './migrate.js';
export { type NodeDbs, nodeDbs } from './nodeDbs.js';
export {
  type CensusGroup,
  type Crossing,
  type Misplaced,
  type TracedStatement,
  censusGroupsOf,
  crossingsOf,
  misplacedOf,
} from './placementTrace.js';
export { isDuplicateKey, mysqlErrno, withTransaction } from './withTransaction.js';
export { type KeysetPageOptions, type KeysetPosition, fromIndex, keysetPage } from './keysetPage.js';
export type { Knex } from 'knex';
export {
  type ColumnGrant,
  DbService,
  type Grant,
  type OwnedTable,
  type TableOwnership,
  dbServices,
  globalOutboxOrigin,
  grantsOf,
  migrationTables,
  ownerPrivileges,
  placementOf,
  shardTables,
  tableOwnership,
} from './ownership.js';
export {
  type ApplyGrantsOptions,
  type GrantsApplied,
  type ServiceUser,
  applyGrants,
  dropServiceUsers,
  schemaOwnershipGaps,
} from './applyGrants.js';
