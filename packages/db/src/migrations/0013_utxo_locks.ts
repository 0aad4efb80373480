import type { Knex } from 'knex';

/**
 * Input locks of UTXO withdrawals: coin selection writes `locked_by` (the build that chose the output) and
 * `locked_until` (when the lock lapses if that build's transaction never reaches the chain) in the same transaction
 * that records the build, so two builds never spend the same output. An expired lock is selectable again; a spend seen
 * on chain (`spent_by_txid`) wins over any lock. The index serves "unspent outputs of chain X, largest first": the
 * selection reads it in order with LIMIT and FOR UPDATE SKIP LOCKED, so it row-locks only the few outputs it reads
 * (ordering by a column outside an index would sort, and lock, every candidate). `locked_by`/`locked_until` are left
 * out of it on purpose: writing a lock changes no secondary index entry (no insert intention lock meeting the
 * next-key locks of a concurrent selection).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('utxos', (t) => {
    t.string('locked_by', 64).nullable().collate('utf8mb4_bin');
    t.datetime('locked_until', { precision: 3 }).nullable();
    t.index(['chain', 'spent_by_txid', 'amount', 'txid', 'vout'], 'utxos_selectable');
    t.index(['locked_by'], 'utxos_locked_by');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('utxos', (t) => {
    t.dropIndex([], 'utxos_locked_by');
    t.dropIndex([], 'utxos_selectable');
    t.dropColumn('locked_until');
    t.dropColumn('locked_by');
  });
}
