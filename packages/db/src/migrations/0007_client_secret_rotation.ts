import type { Knex } from 'knex';

/**
 * Client secret rotation with an overlap window (accountsrv owns `clients`): `walletctl clients rotate` moves the
 * current secret to `previous_secret`, valid until `previous_secret_expires_at`, so an exchange can switch its
 * signers over without a moment in which neither secret works. NULL both when there is no previous secret (never
 * rotated, or rotated with no overlap). The expiry is written by MySQL's clock (CURRENT_TIMESTAMP(3) + overlap) in UTC.
 * The columns inherit the table's collation (utf8mb4_bin since 0006).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('clients', (t) => {
    // Same width as `secret`: it is one.
    t.string('previous_secret', 100).nullable();
    t.datetime('previous_secret_expires_at', { precision: 3 }).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('clients', (t) => {
    t.dropColumn('previous_secret_expires_at');
    t.dropColumn('previous_secret');
  });
}
