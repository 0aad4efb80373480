import type { Knex } from 'knex';

/**
 * A transrv node's two databases (docs/sharding.md): the global one (accounts, the chain as the scanner sees it,
 * signsrv's tables, the clients' feeds) and its shard (the money of its accounts). With one database, as every
 * deployment has today, both are the same handle and the same code runs.
 */
export type NodeDbs = { readonly global: Knex; readonly shard: Knex };

/** A handle, or the pair: one handle stands for both. */
export function nodeDbs(db: Knex | NodeDbs): NodeDbs {
  return 'global' in db && 'shard' in db ? db : { global: db, shard: db };
}
