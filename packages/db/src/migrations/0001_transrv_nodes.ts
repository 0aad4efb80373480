import type { Knex } from 'knex';

/**
 * transrv nodes by their stable, ops-given node id. Accounts are bound to a node id for life, so a
 * node row is never deleted; `state` lets ops drain a node (no new accounts).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('transrv_nodes', (t) => {
    t.string('node_id', 64).primary();
    t.enu('state', ['active', 'draining']).notNullable().defaultTo('active');
    t.datetime('first_seen_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('last_started_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('transrv_nodes');
}
