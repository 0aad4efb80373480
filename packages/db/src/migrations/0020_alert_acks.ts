import type { Knex } from 'knex';

/**
 * Acknowledgements of operator alarms (owner: signsrv): who acknowledged an alarm, with what comment, when. An alarm
 * is named by its table (`source`: `sign` for signsrv's `sign_alerts`, `node` for transrv's `node_alerts`) and its id
 * there; the primary key makes an alarm acknowledged at most once. The alarm rows themselves are never changed (each
 * belongs to the service that raised it).
 *
 * sign_alerts gets the index that node_alerts has (0019) for listing both newest first.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('alert_acks', (t) => {
    t.enu('source', ['sign', 'node']).notNullable();
    t.bigInteger('alert_id').unsigned().notNullable();
    t.string('acknowledged_by', 100).notNullable();
    t.string('comment', 200).notNullable();
    t.datetime('acknowledged_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['source', 'alert_id']);
  });
  await db.schema.alterTable('sign_alerts', (t) => {
    t.index(['created_at', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('sign_alerts', (t) => {
    t.dropIndex(['created_at', 'id']);
  });
  await db.schema.dropTable('alert_acks');
}
