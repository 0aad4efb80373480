import type { Knex } from 'knex';

/**
 * Fiat rates (issue 17), owned by transrv, whose nodes refresh them from the configured providers.
 *
 * - `fiat_rates`: the last known price of one unit of each asset in each fiat currency, with the provider that gave
 *   it and when. A refresh that fails everywhere leaves the last value (its age shows how old it is).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('fiat_rates', (t) => {
    t.string('asset', 16).notNullable();
    t.string('fiat', 8).notNullable();
    t.decimal('rate', 38, 12).notNullable();
    t.string('provider', 32).notNullable();
    t.datetime('fetched_at', { precision: 3 }).notNullable();
    t.primary(['asset', 'fiat']);
    t.index(['fiat'], 'fiat_rates_fiat');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('fiat_rates');
}
