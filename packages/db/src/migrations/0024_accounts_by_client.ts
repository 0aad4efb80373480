import type { Knex } from 'knex';

/**
 * A client's accounts in (created_at, id) order (GET /v1/accounts, newest or oldest first): the index is
 * (client_id, created_at), and InnoDB appends the primary key (id), so a page is one ordered range read. The unique
 * key (client_id, external_id) serves the lookup by external id but not the order: without this index a page sorted
 * every account of the client.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('accounts', (t) => {
    t.index(['client_id', 'created_at'], 'accounts_client_created');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('accounts', (t) => {
    t.dropIndex([], 'accounts_client_created');
  });
}
