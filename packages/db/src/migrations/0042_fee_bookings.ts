import type { Knex } from 'knex';

/**
 * Which transrv node books the network fee of each of signsrv's own sends (consolidations, sweeps, treasury moves).
 * Until now every node looked for the fee's journal entry and booked it if missing, which is once only while every
 * node shares one journal. Once a node may have its own database (docs/sharding.md), a node claims the fee here, in
 * the global database (the primary key makes the claim exactly-once), books it in its own journal, and records that it
 * did. Fees booked before this table existed are claimed by the first node that looks, which finds their entry in the
 * one journal and books nothing.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('fee_bookings', (t) => {
    // `<source id>:fee`, the journal entry's id
    t.string('entry_id', 80).primary().collate('utf8mb4_bin');
    t.enu('source', ['utxo_builds', 'sweeps', 'treasury_moves']).notNullable();
    t.string('source_id', 64).notNullable().collate('utf8mb4_bin');
    t.string('chain', 16).notNullable();
    t.decimal('fee', 65, 0).notNullable();
    t.string('node_id', 64).notNullable().collate('utf8mb4_bin');
    t.datetime('claimed_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('booked_at', { precision: 3 }).nullable();
    t.index(['node_id', 'booked_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('fee_bookings');
}
