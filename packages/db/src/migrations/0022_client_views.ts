import type { Knex } from 'knex';

/**
 * Client-wide views and client references (issue 15):
 * - deposits.client_id: the client of the deposit's account, written with the deposit (the scanner and the internal
 *   credit), so a client's deposits are listed without a join through accounts. Backfilled here from accounts.
 * - withdrawals and transfers get the client's `reference` (1-64 printable ASCII without spaces, compared byte-exact:
 *   the columns inherit utf8mb4_bin from 0006) and `metadata` (a small JSON object of strings, as text). A reference is
 *   unique per client and per kind: UNIQUE (client_id, reference) on each table, so the same reference may name one
 *   withdrawal and one transfer of a client. NULL (none) may repeat. The unique key is what decides between two
 *   concurrent requests with one reference: it is checked by the INSERT inside the transaction that freezes or debits.
 * - Keyset pages of a client's deposits, withdrawals and transfers are ordered by (created_at, id), newest or oldest
 *   first, and filtered by account, asset, status and a created_at range. Each filter has an index whose equality
 *   columns are the filter's and whose next column is created_at (InnoDB appends the primary key, id, to every
 *   secondary index), so a page is one ordered range read and never a sort of the client's rows. The account filter
 *   with another filter reads the account's index in order and checks the rest.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('deposits', (t) => {
    t.string('client_id', 40).nullable();
  });
  await db.raw('UPDATE deposits d JOIN accounts a ON a.id = d.account_id SET d.client_id = a.client_id WHERE d.client_id IS NULL');
  const [orphans] = (await db.raw('SELECT id FROM deposits WHERE client_id IS NULL LIMIT 10')) as [{ id: string }[]];
  if (orphans.length > 0) {
    throw new Error(
      `0022_client_views: deposits whose account does not exist (${orphans.map((o) => o.id).join(', ')}): ` +
        'an operator must settle them before deposits.client_id becomes NOT NULL',
    );
  }
  await db.raw(
    `ALTER TABLE deposits MODIFY client_id VARCHAR(40) NOT NULL,
       ADD INDEX deposits_client_created (client_id, created_at),
       ADD INDEX deposits_client_status (client_id, status, created_at),
       ADD INDEX deposits_client_asset (client_id, asset, created_at),
       ADD INDEX deposits_client_asset_status (client_id, asset, status, created_at),
       ADD INDEX deposits_account_created (account_id, created_at)`,
  );

  for (const table of ['withdrawals', 'transfers'] as const) {
    await db.schema.alterTable(table, (t) => {
      t.string('reference', 64).nullable();
      // JSON text of an object of strings (at most 2,048 bytes, checked before it is written); NULL: none.
      t.text('metadata').nullable();
      t.unique(['client_id', 'reference'], { indexName: `${table}_client_reference` });
      t.index(['client_id', 'created_at'], `${table}_client_created`);
      t.index(['client_id', 'status', 'created_at'], `${table}_client_status`);
      t.index(['client_id', 'asset', 'created_at'], `${table}_client_asset`);
      t.index(['client_id', 'asset', 'status', 'created_at'], `${table}_client_asset_status`);
    });
  }
  await db.schema.alterTable('withdrawals', (t) => {
    t.index(['account_id', 'created_at'], 'withdrawals_account_created');
  });
  // A transfer belongs to two accounts: an account's transfers are the union of two ordered reads, one per side.
  await db.schema.alterTable('transfers', (t) => {
    t.index(['from_account_id', 'created_at'], 'transfers_from_created');
    t.index(['to_account_id', 'created_at'], 'transfers_to_created');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('transfers', (t) => {
    t.dropIndex([], 'transfers_from_created');
    t.dropIndex([], 'transfers_to_created');
  });
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropIndex([], 'withdrawals_account_created');
  });
  for (const table of ['withdrawals', 'transfers'] as const) {
    await db.schema.alterTable(table, (t) => {
      t.dropUnique([], `${table}_client_reference`);
      for (const index of ['client_created', 'client_status', 'client_asset', 'client_asset_status']) t.dropIndex([], `${table}_${index}`);
      t.dropColumn('metadata');
      t.dropColumn('reference');
    });
  }
  await db.raw(
    `ALTER TABLE deposits DROP INDEX deposits_client_created, DROP INDEX deposits_client_status, DROP INDEX deposits_client_asset,
       DROP INDEX deposits_client_asset_status, DROP INDEX deposits_account_created, DROP COLUMN client_id`,
  );
}
