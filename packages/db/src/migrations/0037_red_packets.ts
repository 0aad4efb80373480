import type { Knex } from 'knex';

/**
 * Red packets (issue 17), owned by transrv: the node of the sending account holds the packet, its shares and its
 * frozen total, and posts every claim.
 *
 * - `red_packets`: an amount of an asset frozen on the sender's account, to be split into `count` shares (`equal` or
 *   `random`), claimed by the client's accounts until `expires_at`; what was claimed so far, and what was refunded to
 *   the sender when it expired. Idempotent on (client, key).
 * - `red_packet_shares`: the shares, drawn when the packet is made (each at least one base unit, summing to the total
 *   exactly), claimed in order: each by one account at most once (a unique key), with the transfer that paid it.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('red_packets', (t) => {
    t.string('id', 40).primary();
    t.string('client_id', 40).notNullable();
    t.string('idempotency_key', 64).notNullable();
    t.string('request_hash', 64).notNullable();
    t.string('from_account_id', 40).notNullable();
    t.string('node_id', 32).notNullable();
    t.string('asset', 16).notNullable();
    t.decimal('total', 65, 0).notNullable();
    t.integer('count').unsigned().notNullable();
    t.enu('mode', ['equal', 'random']).notNullable();
    t.integer('claimed_count').unsigned().notNullable().defaultTo(0);
    t.decimal('claimed_amount', 65, 0).notNullable().defaultTo(0);
    t.decimal('refunded', 65, 0).notNullable().defaultTo(0);
    t.enu('status', ['open', 'exhausted', 'expired']).notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('finished_at', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.unique(['client_id', 'idempotency_key'], { indexName: 'red_packets_key' });
    t.index(['node_id', 'status', 'expires_at'], 'red_packets_due');
    t.index(['from_account_id', 'status'], 'red_packets_sender');
  });
  await db.schema.createTable('red_packet_shares', (t) => {
    t.string('red_packet_id', 40).notNullable();
    t.integer('idx').unsigned().notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.string('account_id', 40).nullable();
    t.string('claim_key', 64).nullable();
    t.string('transfer_id', 40).nullable();
    t.datetime('claimed_at', { precision: 3 }).nullable();
    t.primary(['red_packet_id', 'idx']);
    t.unique(['red_packet_id', 'account_id'], { indexName: 'red_packet_shares_once' });
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('red_packet_shares');
  await db.schema.dropTable('red_packets');
}
