import type { Knex } from 'knex';

/**
 * Our UTXO set (UTXO chains): every output paying one of our deposit scripts, written by the chain's scanner in the
 * same fenced transaction as the block that created it, and marked spent by the block whose input names its outpoint
 * (whatever that spending transaction's id: a malleated or replaced spend is still recognised). What UTXO withdrawals
 * select coins from. A reorg deletes the outputs created above the fork point and clears spends recorded above it.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('utxos', (t) => {
    t.string('chain', 16).notNullable();
    t.string('txid', 64).notNullable();
    t.integer('vout').unsigned().notNullable();
    // scriptPubKey, hex (P2WSH and P2TR are 34 bytes)
    t.string('script', 80).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.bigInteger('block_number').unsigned().notNullable();
    t.string('block_hash', 80).notNullable();
    t.string('account_id', 40).notNullable().collate('utf8mb4_bin');
    t.string('spent_by_txid', 64).nullable();
    t.bigInteger('spent_block_number').unsigned().nullable();
    t.string('spent_block_hash', 80).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['chain', 'txid', 'vout']);
    // coin selection: an account's (or the chain's) unspent outputs
    t.index(['chain', 'spent_by_txid', 'account_id']);
    t.index(['chain', 'block_number']);
    t.index(['chain', 'spent_block_number']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('utxos');
}
