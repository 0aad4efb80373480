import type { Knex } from 'knex';

/**
 * Email notifications (issue 17), owned by transrv like the event feed they are made from.
 *
 * - `email_recipients`: a client's notification addresses, each with the event types it wants and its locale.
 *   `cursor_seq` is how far into the client's feed its emails have been queued (set to the feed's head when added:
 *   only events after that are mailed). One row per (client, address).
 * - `email_outbox`: each message, rendered when queued (subject, plain text, HTML) and sent from here: claimed by one
 *   transrv node at a time (`claimed_by`, `claim_until`), retried on temporary SMTP failures, `sent` or `failed`.
 *   UNIQUE (recipient, event): an event is queued for an address once, whichever node fans it out.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('email_recipients', (t) => {
    t.string('id', 40).primary();
    t.string('client_id', 40).notNullable();
    t.string('email', 254).notNullable();
    t.enu('locale', ['en', 'zh']).notNullable();
    // JSON array of event types; ["*"]: every type.
    t.text('events').notNullable();
    t.bigInteger('cursor_seq').unsigned().notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.unique(['client_id', 'email'], { indexName: 'email_recipients_address' });
  });
  await db.schema.createTable('email_outbox', (t) => {
    t.bigIncrements('id').primary();
    t.string('client_id', 40).notNullable();
    t.string('recipient_id', 40).notNullable();
    t.string('event_id', 40).notNullable();
    t.string('event_type', 48).notNullable();
    t.string('to_address', 254).notNullable();
    t.string('subject', 300).notNullable();
    t.text('text_body', 'mediumtext').notNullable();
    t.text('html_body', 'mediumtext').notNullable();
    t.enu('status', ['queued', 'sent', 'failed']).notNullable();
    t.integer('attempts').unsigned().notNullable().defaultTo(0);
    t.datetime('next_attempt_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.string('claimed_by', 80).nullable();
    t.datetime('claim_until', { precision: 3 }).nullable();
    t.string('last_error', 300).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('sent_at', { precision: 3 }).nullable();
    t.unique(['recipient_id', 'event_id'], { indexName: 'email_outbox_once' });
    t.index(['status', 'next_attempt_at'], 'email_outbox_due');
    t.index(['recipient_id', 'id'], 'email_outbox_recipient');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('email_outbox');
  await db.schema.dropTable('email_recipients');
}
