import type { Knex } from 'knex';

/**
 * Metrics (issue 18): each transrv node reports, on every scrape, how many of its withdrawals are in each non-final
 * status and how long the oldest has been there (time since its last change). (node_id, status, updated_at) makes
 * both an index range read: the count stops at a cap, the oldest is the first entry. It replaces (node_id, status),
 * which is its prefix.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('withdrawals', (t) => {
    t.index(['node_id', 'status', 'updated_at']);
  });
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropIndex(['node_id', 'status']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('withdrawals', (t) => {
    t.index(['node_id', 'status']);
  });
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropIndex(['node_id', 'status', 'updated_at']);
  });
}
