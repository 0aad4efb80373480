import type { Knex } from 'knex';

/**
 * Reconciliation, the treasury's tripwire (owner: signsrv; docs/treasury.md).
 *
 * - asset_signing_halts: the kill switch per asset. While an asset's row is `halted`, nothing of that asset is signed
 *   (payouts, replacements, consolidations); the other assets keep paying. Read for share inside the same signing
 *   transactions as the global `signing_controls` row, so setting it waits for the signing transactions already past
 *   the check and no later one signs. Set by reconciliation (`halted_by` 'reconciliation') or an admin; released by
 *   an admin only (audited). `shortfall` and `shortfall_since` say by how much and since when the books are short.
 * - reconciliation_runs: every pass's figures per asset, kept: liabilities (users' available + frozen + pending),
 *   the holdings by kind (hot, fee, deposit addresses, in flight, cold watched), the difference (holdings minus
 *   liabilities; negative is a shortfall), the tolerance it was judged against, and whether it halted the asset.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('asset_signing_halts', (t) => {
    t.string('asset', 16).primary();
    t.boolean('halted').notNullable().defaultTo(false);
    t.string('halted_by', 100).nullable();
    t.string('reason', 200).nullable();
    t.datetime('halted_at', { precision: 3 }).nullable();
    t.decimal('shortfall', 65, 0).nullable();
    t.datetime('shortfall_since', { precision: 3 }).nullable();
    t.string('released_by', 100).nullable();
    t.datetime('released_at', { precision: 3 }).nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
  });
  await db.schema.createTable('reconciliation_runs', (t) => {
    t.bigIncrements('id');
    t.string('asset', 16).notNullable();
    t.string('chain', 16).notNullable();
    /** What started the pass: `schedule`, `settlement`, `walletctl`. */
    t.string('triggered_by', 16).notNullable();
    t.decimal('liabilities', 65, 0).notNullable();
    t.decimal('hot', 65, 0).notNullable();
    t.decimal('fee', 65, 0).notNullable();
    t.decimal('deposit', 65, 0).notNullable();
    t.decimal('in_flight', 65, 0).notNullable();
    t.decimal('cold', 65, 0).notNullable();
    /** holdings - liabilities: negative is a shortfall. */
    t.decimal('difference', 65, 0).notNullable();
    t.decimal('tolerance', 65, 0).notNullable();
    t.boolean('short').notNullable();
    t.boolean('halted').notNullable();
    /** The block the holdings were read at (EVM: the scanner's last recorded block); null on UTXO chains. */
    t.bigInteger('block_number').unsigned().nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['asset', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('reconciliation_runs');
  await db.schema.dropTable('asset_signing_halts');
}
