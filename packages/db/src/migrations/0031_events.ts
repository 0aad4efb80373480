import type { Knex } from 'knex';

/**
 * The clients' event feed (issue 17). MySQL is the truth; Redis only wakes readers.
 *
 * - `event_outbox`: what changed, appended by transrv in the same transaction as the change (a deposit seen,
 *   credited, orphaned, reversed; a withdrawal's status; a transfer completed), tagged with the node that owns the
 *   resource. Ids grow with commits of causally ordered changes of one resource, so the order of a node's rows is the
 *   order of each resource's changes.
 * - `events`: the feed. Each node's sequencer moves its outbox rows here in one transaction, giving each a per-client
 *   gap-free `seq` (from `event_heads`, locked and raised once per client and batch) and a per-resource `version`
 *   (from `event_resources`). UNIQUE (node_id, outbox_id) keeps a row from being sequenced twice.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('event_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('node_id', 64).notNullable();
    t.string('client_id', 40).notNullable();
    t.string('type', 48).notNullable();
    t.string('resource_type', 24).notNullable();
    t.string('resource_id', 64).notNullable();
    t.text('data').notNullable();
    t.datetime('occurred_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['node_id', 'id'], 'event_outbox_node');
  });
  await db.schema.createTable('events', (t) => {
    t.string('client_id', 40).notNullable();
    t.bigInteger('seq').unsigned().notNullable();
    t.string('id', 40).notNullable();
    t.string('type', 48).notNullable();
    t.string('resource_type', 24).notNullable();
    t.string('resource_id', 64).notNullable();
    t.integer('version').unsigned().notNullable();
    t.text('data').notNullable();
    t.datetime('occurred_at', { precision: 3 }).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.string('node_id', 64).notNullable();
    t.bigInteger('outbox_id').unsigned().notNullable();
    t.primary(['client_id', 'seq']);
    t.unique(['id'], { indexName: 'events_id' });
    t.unique(['node_id', 'outbox_id'], { indexName: 'events_origin' });
  });
  await db.schema.createTable('event_heads', (t) => {
    t.string('client_id', 40).primary();
    t.bigInteger('last_seq').unsigned().notNullable();
  });
  await db.schema.createTable('event_resources', (t) => {
    t.string('resource_id', 64).primary();
    t.integer('version').unsigned().notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('event_resources');
  await db.schema.dropTable('event_heads');
  await db.schema.dropTable('events');
  await db.schema.dropTable('event_outbox');
}
