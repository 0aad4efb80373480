import type { Knex } from 'knex';

/**
 * Input locks kept across a reorg (transrv's scanner). A reorg that drops the block creating one of the wallet's
 * outputs deletes the output from `utxos`, and with it the lock a build holds on it (`locked_by`, `locked_until`)
 * while the build's transaction, which spends it, waits in the mempool or is sent again. The lock is kept here and put
 * back on the output when the scanner records it again (its transaction mined on the new branch), unless the build was
 * abandoned meanwhile. Without it, the output came back unlocked and coin selection chose it for a second build: two
 * transactions spending one output, one of which can never be mined (found by the fault campaign, docs/reliability.md).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('utxo_dropped_locks', (t) => {
    t.string('chain', 16).notNullable();
    t.string('txid', 64).notNullable();
    t.integer('vout').unsigned().notNullable();
    t.string('locked_by', 64).notNullable().collate('utf8mb4_bin');
    t.datetime('locked_until', { precision: 3 }).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['chain', 'txid', 'vout']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('utxo_dropped_locks');
}
