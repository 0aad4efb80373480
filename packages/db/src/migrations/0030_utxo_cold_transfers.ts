import type { Knex } from 'knex';

/**
 * Cold transfers on UTXO chains: a treasury move is paid by a build of its own (`utxo_builds` kind `cold_transfer`:
 * the wallet's outputs to the cold address, change back to the wallet's main address), checked and signed like a
 * consolidation; `treasury_moves.build_id` links the move to it (its fee is the build's, booked once by transrv as a
 * consolidation's is).
 *
 * And proof-of-reserves holdings of every kind the wallet holds an asset on: besides hot wallets and deposit addresses,
 * the fee and sweep wallets (`fee`), the watched cold wallets (`cold`) and, on UTXO chains, the wallet's own change
 * and main addresses (`wallet`).
 */
export async function up(db: Knex): Promise<void> {
  await db.raw("ALTER TABLE utxo_builds MODIFY kind ENUM('withdrawals', 'consolidation', 'cold_transfer') NOT NULL");
  await db.schema.alterTable('treasury_moves', (t) => {
    t.string('build_id', 40).nullable();
    t.unique(['build_id'], { indexName: 'treasury_moves_build' });
  });
  await db.raw("ALTER TABLE reserve_holdings MODIFY kind ENUM('hot', 'deposit', 'fee', 'cold', 'wallet') NOT NULL");
}

export async function down(db: Knex): Promise<void> {
  await db.raw("DELETE FROM reserve_holdings WHERE kind NOT IN ('hot', 'deposit')");
  await db.raw("ALTER TABLE reserve_holdings MODIFY kind ENUM('hot', 'deposit') NOT NULL");
  await db.schema.alterTable('treasury_moves', (t) => {
    t.dropUnique(['build_id'], 'treasury_moves_build');
    t.dropColumn('build_id');
  });
  await db.raw("DELETE FROM utxo_builds WHERE kind = 'cold_transfer'");
  await db.raw("ALTER TABLE utxo_builds MODIFY kind ENUM('withdrawals', 'consolidation') NOT NULL");
}
