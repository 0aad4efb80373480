import type { Knex } from 'knex';

/**
 * The console's risk view (signsrv's reviewRisks) reads transrv's tables for each page of the review queue: who else
 * withdrew to a destination and whether this client was paid there (by chain and address, across clients), and an
 * account's recent credited deposits in an asset. Without these, both are scans of the whole table per page view.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('withdrawals', (t) => {
    t.index(['chain', 'to_address', 'client_id', 'status'], 'withdrawals_destination');
  });
  await db.schema.alterTable('deposits', (t) => {
    t.index(['account_id', 'asset', 'created_at'], 'deposits_account_recent');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropIndex([], 'withdrawals_destination');
  });
  await db.schema.alterTable('deposits', (t) => {
    t.dropIndex([], 'deposits_account_recent');
  });
}
