import type { Knex } from 'knex';

/**
 * Network fee rates (issue 17: the design's hourly fee-rate service), owned by transrv, whose nodes read the chains.
 *
 * - `fee_rates`: one sample per chain per collection: what a transaction should pay now. EIP-1559 chains: `rate` is
 *   the max fee per gas (2 x next base fee + priority fee), with `base_fee` and `priority_fee`, in wei per gas. UTXO
 *   chains: `rate` in satoshi per virtual byte for `conf_target` blocks, `source` `node` (estimatesmartfee) or
 *   `fallback` (the configured rate: the node had too little data). The history is kept.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('fee_rates', (t) => {
    t.bigIncrements('id').primary();
    t.string('chain', 16).notNullable();
    t.enu('model', ['eip1559', 'feerate']).notNullable();
    t.decimal('rate', 65, 0).notNullable();
    t.decimal('base_fee', 65, 0).nullable();
    t.decimal('priority_fee', 65, 0).nullable();
    t.integer('conf_target').unsigned().nullable();
    t.string('source', 16).nullable();
    t.string('collected_by', 64).notNullable();
    t.datetime('collected_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['chain', 'collected_at'], 'fee_rates_chain');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('fee_rates');
}
