import type { Knex } from 'knex';

/**
 * Proof of reserves (issue 16, docs/reserves.md):
 * - clients.reserve_salt: each client's secret salt (32 bytes as 64 lower-case hex), mixed into its accounts' leaf
 *   commitments so nobody else can tell which leaf is whose. The column's default draws it from MariaDB's
 *   RANDOM_BYTES (the TLS library's CSPRNG) for every new client whatever code inserts it, and the ALTER evaluates that
 *   default once per existing row, so the backfill gives each existing client its own salt.
 * - reserve_reports: one Merkle sum tree of client liabilities of an asset (root, total, leaf count), as one consistent
 *   snapshot of the ledger saw them. The latest report of an asset (created_at, then id) is the one proofs are served
 *   from.
 * - reserve_leaves: every leaf of a report (the account, its balance, its commitment), in tree order.
 * - reserve_nodes: every node of the tree, level 0 (the leaves' hashes) to the root, so a proof is one read of
 *   log2(n) rows and never a rebuild. The padding node (zero hash, zero sum) is not stored.
 * - reserve_holdings: next to the liabilities, the addresses the wallet held at report time (hot wallets and deposit
 *   addresses of the asset's chain) and the asset's balance on each as the chain's node answered (NULL: not asked).
 */
export async function up(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE clients ADD COLUMN reserve_salt CHAR(64) NOT NULL DEFAULT (LOWER(HEX(RANDOM_BYTES(32))))');

  await db.schema.createTable('reserve_reports', (t) => {
    t.string('id', 40).primary();
    t.string('asset', 16).notNullable();
    t.specificType('root', 'CHAR(64)').notNullable();
    t.decimal('total', 65, 0).notNullable();
    t.integer('leaf_count').unsigned().notNullable();
    // the sum of the holdings' balances when every one was read from the chain; NULL otherwise
    t.decimal('holdings_total', 65, 0).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['asset', 'created_at'], 'reserve_reports_asset_created');
  });
  await db.raw('ALTER TABLE reserve_reports ADD CONSTRAINT reserve_reports_sane CHECK (total >= 0 AND leaf_count > 0)');

  await db.schema.createTable('reserve_leaves', (t) => {
    t.string('report_id', 40).notNullable().references('reserve_reports.id');
    t.integer('leaf_index').unsigned().notNullable();
    t.string('account_id', 40).notNullable();
    t.decimal('balance', 65, 0).notNullable();
    t.specificType('commitment', 'CHAR(64)').notNullable();
    t.primary(['report_id', 'leaf_index']);
    t.unique(['report_id', 'account_id'], { indexName: 'reserve_leaves_report_account' });
  });
  await db.raw('ALTER TABLE reserve_leaves ADD CONSTRAINT reserve_leaves_never_negative CHECK (balance >= 0)');

  await db.schema.createTable('reserve_nodes', (t) => {
    t.string('report_id', 40).notNullable().references('reserve_reports.id');
    t.tinyint('level').unsigned().notNullable();
    t.integer('node_index').unsigned().notNullable();
    t.specificType('hash', 'CHAR(64)').notNullable();
    t.decimal('sum', 65, 0).notNullable();
    t.primary(['report_id', 'level', 'node_index']);
  });

  await db.schema.createTable('reserve_holdings', (t) => {
    t.string('report_id', 40).notNullable().references('reserve_reports.id');
    t.string('chain', 16).notNullable();
    t.string('address', 100).notNullable();
    t.enu('kind', ['hot', 'deposit']).notNullable();
    // the asset's balance as the chain's node answered at report time; NULL: not asked (no node, or a UTXO chain)
    t.decimal('balance', 65, 0).nullable();
    t.primary(['report_id', 'chain', 'address']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('reserve_holdings');
  await db.schema.dropTable('reserve_nodes');
  await db.schema.dropTable('reserve_leaves');
  await db.schema.dropTable('reserve_reports');
  await db.schema.alterTable('clients', (t) => t.dropColumn('reserve_salt'));
}
