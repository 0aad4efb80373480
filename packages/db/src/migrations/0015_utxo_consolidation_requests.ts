import type { Knex } from 'knex';

/**
 * Consolidations asked for by hand (`walletctl utxo consolidate`): a request row that signsrv picks up on its next pass
 * and answers in the row (the build it made, or why it made none). The consolidation itself is a `utxo_builds` row of
 * kind `consolidation` (0014).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('utxo_consolidation_requests', (t) => {
    t.bigIncrements('id');
    t.string('chain', 16).notNullable();
    t.integer('max_inputs').unsigned().notNullable();
    t.string('requested_by', 100).notNullable();
    t.enu('status', ['requested', 'built', 'refused']).notNullable().defaultTo('requested');
    t.string('build_id', 40).nullable();
    t.string('reason', 200).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['chain', 'status', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('utxo_consolidation_requests');
}
