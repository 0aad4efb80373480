import type { Knex } from 'knex';

/**
 * Webhooks (issue 17), owned by transrv like the event feed they deliver.
 *
 * - `webhook_endpoints`: a client's receivers: URL, the event types it wants, its signing secret (and the previous one
 *   during a rotation's overlap), `active` or `disabled`. `cursor_seq` is how far into the client's feed its events have
 *   been queued; `failing_since` when its current run of failures began (3 days of it disables it); `lease_owner` and
 *   `lease_until`: the transrv node delivering to it now (one at a time, taken over when the lease runs out).
 * - `webhook_deliveries`: the queue and its history, one row per event (or redelivery, or test) per endpoint, sent in
 *   id order per endpoint: the head is retried on its schedule and the rest wait behind it.
 * - `webhook_requests`: each webhook POST's Idempotency-Key with its answer, written in the same transaction as its
 *   effect: a retry gets the first answer (the same secret, the same deliveries) even when the gateway's cache is gone.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('webhook_endpoints', (t) => {
    t.string('id', 40).primary();
    t.string('client_id', 40).notNullable();
    t.string('url', 2048).notNullable();
    // JSON array of event types; ["*"]: every type.
    t.text('events').notNullable();
    t.string('description', 200).nullable();
    t.string('secret', 80).notNullable();
    t.string('previous_secret', 80).nullable();
    t.datetime('previous_secret_until', { precision: 3 }).nullable();
    t.enu('status', ['active', 'disabled']).notNullable();
    t.string('disabled_reason', 200).nullable();
    t.bigInteger('cursor_seq').unsigned().notNullable();
    t.datetime('failing_since', { precision: 3 }).nullable();
    t.string('lease_owner', 64).nullable();
    t.datetime('lease_until', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('deleted_at', { precision: 3 }).nullable();
    t.index(['client_id', 'created_at'], 'webhook_endpoints_client');
    t.index(['status', 'lease_until'], 'webhook_endpoints_lease');
  });
  await db.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id').primary();
    t.string('endpoint_id', 40).notNullable();
    t.string('client_id', 40).notNullable();
    t.enu('kind', ['event', 'redelivery', 'test']).notNullable();
    t.string('event_id', 40).nullable();
    t.bigInteger('event_seq').unsigned().nullable();
    t.string('event_type', 48).notNullable();
    // The body sent, as it was when queued (every attempt sends the same bytes, newly signed).
    t.text('body', 'mediumtext').notNullable();
    t.enu('status', ['queued', 'delivered', 'failed']).notNullable();
    t.integer('attempts').unsigned().notNullable().defaultTo(0);
    t.datetime('next_attempt_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('first_attempt_at', { precision: 3 }).nullable();
    t.datetime('last_attempt_at', { precision: 3 }).nullable();
    t.integer('last_status').nullable();
    t.string('last_error', 300).nullable();
    t.datetime('finished_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['endpoint_id', 'status', 'id'], 'webhook_deliveries_queue');
    t.index(['endpoint_id', 'id'], 'webhook_deliveries_endpoint');
  });
  await db.schema.createTable('webhook_requests', (t) => {
    t.string('client_id', 40).notNullable();
    t.string('idempotency_key', 64).notNullable();
    t.string('request_hash', 64).notNullable();
    t.text('response').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['client_id', 'idempotency_key']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('webhook_requests');
  await db.schema.dropTable('webhook_deliveries');
  await db.schema.dropTable('webhook_endpoints');
}
