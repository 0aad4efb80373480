import type { Knex } from 'knex';

/**
 * Payment requests (issue 17: the payment processor's "receivers"), owned by transrv: the node that owns the account
 * applies each credited deposit on a request's address in the deposit's crediting transaction.
 *
 * - `payment_requests`: what an account asked to be paid (asset, amount) on a fresh address of its own, until when;
 *   `received` is the sum of the credited deposits the scanner saw on that address in time, `late_received` of those
 *   it saw after `expires_at` (credited to the account all the same, and flagged). Status `pending`,
 *   `partially_paid`, `paid`, `overpaid`, `expired`. One request per address; idempotent on (client, key).
 * - `payment_request_payments`: which deposit counted for which request, once per deposit (its primary key), late or
 *   not, and whether it was reversed since (its block left the chain after the credit).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('payment_requests', (t) => {
    t.string('id', 40).primary();
    t.string('client_id', 40).notNullable();
    t.string('idempotency_key', 64).notNullable();
    t.string('request_hash', 64).notNullable();
    t.string('account_id', 40).notNullable();
    t.string('node_id', 32).notNullable();
    t.string('asset', 16).notNullable();
    t.string('chain', 16).notNullable();
    t.string('address', 100).notNullable();
    // The address as deposits record it: EVM hex in lower case (the scanner's form; answers show EIP-55), others as is.
    t.string('match_address', 100).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.decimal('received', 65, 0).notNullable().defaultTo(0);
    t.decimal('late_received', 65, 0).notNullable().defaultTo(0);
    t.enu('status', ['pending', 'partially_paid', 'paid', 'overpaid', 'expired']).notNullable();
    t.boolean('late_payment').notNullable().defaultTo(false);
    t.text('metadata').nullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('paid_at', { precision: 3 }).nullable();
    t.datetime('expired_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.unique(['client_id', 'idempotency_key'], { indexName: 'payment_requests_key' });
    t.unique(['chain', 'match_address'], { indexName: 'payment_requests_address' });
    t.index(['node_id', 'status', 'expires_at'], 'payment_requests_due');
    t.index(['account_id', 'id'], 'payment_requests_account');
  });
  await db.schema.createTable('payment_request_payments', (t) => {
    t.string('deposit_id', 40).primary();
    t.string('payment_request_id', 40).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.boolean('late').notNullable();
    t.datetime('applied_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('reversed_at', { precision: 3 }).nullable();
    t.index(['payment_request_id'], 'payment_request_payments_request');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('payment_request_payments');
  await db.schema.dropTable('payment_requests');
}
