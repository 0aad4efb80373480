import type { Knex } from 'knex';

/**
 * Chain scanning and deposits. One scanner per chain is active (etcd election); every write it makes
 * carries its election's fencing token, checked here against scanner_fences under a row lock, so a paused
 * old leader that wakes up cannot write.
 */
export async function up(db: Knex): Promise<void> {
  // `pending` (seen on chain, not yet credited) is derived from the deposits table; a stored copy could drift.
  await db.raw(
    'ALTER TABLE balances DROP CONSTRAINT balances_never_negative, DROP COLUMN pending, ADD CONSTRAINT balances_never_negative CHECK (available >= 0 AND frozen >= 0)',
  );

  await db.schema.createTable('scanner_fences', (t) => {
    t.string('chain', 16).primary();
    // The highest fencing token that has written for this chain; lower tokens are refused.
    t.bigInteger('token').unsigned().notNullable();
    t.string('holder', 100).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
  });

  // The canonical chain as the scanner last saw it: recent blocks (for reorg walk-back and the credit-time
  // hash check). The highest row per chain is the checkpoint.
  await db.schema.createTable('chain_blocks', (t) => {
    t.string('chain', 16).notNullable();
    t.bigInteger('number').unsigned().notNullable();
    t.string('hash', 80).notNullable();
    t.string('parent_hash', 80).notNullable();
    t.datetime('scanned_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['chain', 'number']);
  });

  await db.schema.createTable('deposits', (t) => {
    t.string('id', 40).primary();
    t.string('chain', 16).notNullable();
    t.string('txid', 100).notNullable();
    // Log index for tokens, output index for UTXO chains, -1 for a native EVM value transfer.
    t.integer('output_index').notNullable();
    t.string('asset', 16).notNullable();
    t.string('address', 100).notNullable();
    t.string('account_id', 40).notNullable();
    t.string('node_id', 32).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.bigInteger('block_number').unsigned().notNullable();
    t.string('block_hash', 80).notNullable();
    // reversal_pending: credited, then its block left the chain; the owning transrv posts the reversing entry.
    t.enu('status', ['pending', 'credited', 'orphaned', 'reversal_pending', 'reversed']).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('credited_at', { precision: 3 }).nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    // Rescanning a range or replaying a notification can never make a second deposit.
    t.unique(['chain', 'txid', 'output_index']);
    t.index(['node_id', 'status', 'chain', 'block_number']);
    t.index(['account_id', 'id']);
    t.index(['chain', 'block_number']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('deposits');
  await db.schema.dropTable('chain_blocks');
  await db.schema.dropTable('scanner_fences');
  await db.raw('ALTER TABLE balances ADD COLUMN pending DECIMAL(65,0) NOT NULL DEFAULT 0');
}
