import type { Knex } from 'knex';

/**
 * transrv's own operator alarms (owner: transrv). Settlement and the chain scanner raised theirs in signsrv's
 * `sign_alerts` until now; each service writes only its own tables, so transrv gets a table of the same shape, written
 * by the same function (@wallet/withdrawal-protocol raiseNodeAlert), and signsrv serves both (`GET /v1/alerts`).
 * Indexes: by kind, once per withdrawal and kind (raiseNodeAlertOnce), newest first across both tables.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('node_alerts', (t) => {
    t.bigIncrements('id');
    t.string('kind', 40).notNullable();
    t.string('withdrawal_id', 40).nullable();
    t.text('details').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['kind', 'id']);
    t.index(['withdrawal_id', 'kind']);
    t.index(['created_at', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('node_alerts');
}
