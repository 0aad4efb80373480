import type { Knex } from 'knex';

/**
 * The Idempotency-Key of the request that created each account, so a retry of that request after an unknown outcome
 * (504, lost connection) answers as the request that took effect did (201 created), while another request naming the
 * same externalId answers 200 (the account exists). Null for accounts created before this column.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('accounts', (t) => {
    t.string('create_idempotency_key', 64).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('accounts', (t) => {
    t.dropColumn('create_idempotency_key');
  });
}
