import type { Knex } from 'knex';

/**
 * UTXO payouts (Bitcoin family), on top of the input locks of 0013:
 * - withdrawal_txs: one row per withdrawal a signed transaction pays (a batch is one transaction paying several), so
 *   the key is (chain, txid, withdrawal_id); `vout` is the withdrawal's output in it and `network_fee` its share of the
 *   transaction's fee (by the vbytes of its output), both null on EVM chains. The EVM columns (`nonce`, `gas_limit`,
 *   `max_fee_per_gas`, `max_priority_fee_per_gas`) become nullable; `fee_rate` (sat/vB) and `build_id` are the UTXO
 *   family's.
 * - withdrawals.output_index: the withdrawal's output in its transaction (UTXO chains), shown to clients with `txid`.
 * - utxo_builds: a transaction built for signing: its inputs are locked (`utxos.locked_by` = build id) in the same
 *   MySQL transaction that writes the build; signsrv signs it only after checking it against MySQL. `kind`
 *   `withdrawals` (its members in utxo_build_members) or `consolidation` (many outputs merged into one of the wallet's,
 *   with its own lifecycle in this row). A build never signed lapses with its locks (`abandoned`).
 * - wallet_addresses: the wallet's own addresses on a UTXO chain that are not deposit addresses: change (`/1/i` of the
 *   deposit account) and the consolidation target. The scanner watches them (their outputs join `utxos`, owned by the
 *   wallet, never credited as deposits).
 */
export async function up(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE withdrawal_txs DROP PRIMARY KEY, ADD PRIMARY KEY (chain, txid, withdrawal_id)');
  await db.raw(`ALTER TABLE withdrawal_txs
    MODIFY nonce BIGINT UNSIGNED NULL,
    MODIFY gas_limit DECIMAL(65,0) NULL,
    MODIFY max_fee_per_gas DECIMAL(65,0) NULL,
    MODIFY max_priority_fee_per_gas DECIMAL(65,0) NULL`);
  await db.schema.alterTable('withdrawal_txs', (t) => {
    t.integer('vout').unsigned().nullable();
    t.decimal('network_fee', 65, 0).nullable();
    t.integer('fee_rate').unsigned().nullable();
    t.string('build_id', 40).nullable();
    t.index(['build_id']);
  });
  await db.schema.alterTable('withdrawals', (t) => {
    t.integer('output_index').unsigned().nullable();
  });

  await db.schema.createTable('utxo_builds', (t) => {
    t.string('id', 40).primary();
    t.string('chain', 16).notNullable();
    t.enu('kind', ['withdrawals', 'consolidation']).notNullable();
    t.enu('status', ['built', 'signed', 'broadcast', 'confirmed', 'abandoned']).notNullable();
    // BIP174, base64: what signsrv is asked to sign
    t.text('psbt', 'mediumtext').notNullable();
    t.integer('inputs').unsigned().notNullable();
    t.decimal('input_total', 65, 0).notNullable();
    t.decimal('fee', 65, 0).notNullable();
    t.integer('fee_rate').unsigned().notNullable();
    t.integer('vsize').unsigned().notNullable();
    t.integer('change_vout').unsigned().nullable();
    t.decimal('change_amount', 65, 0).nullable();
    // consolidations: the signed transaction (withdrawals store theirs in withdrawal_txs)
    t.string('txid', 64).nullable();
    t.text('raw', 'mediumtext').nullable();
    t.string('reason', 200).nullable();
    t.datetime('locked_until', { precision: 3 }).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('broadcast_at', { precision: 3 }).nullable();
    t.datetime('last_broadcast_at', { precision: 3 }).nullable();
    t.index(['chain', 'status', 'locked_until']);
    t.index(['chain', 'txid']);
  });
  await db.schema.createTable('utxo_build_members', (t) => {
    t.string('build_id', 40).notNullable();
    t.string('withdrawal_id', 40).notNullable();
    t.integer('vout').unsigned().notNullable();
    t.decimal('network_fee', 65, 0).notNullable();
    t.primary(['build_id', 'withdrawal_id']);
    t.index(['withdrawal_id']);
  });
  await db.schema.createTable('wallet_addresses', (t) => {
    t.bigIncrements('id');
    t.string('chain', 16).notNullable();
    t.string('address', 100).notNullable();
    // the BIP32 branch under the chain's account: 1 for change (the consolidation target is change index 0)
    t.tinyint('branch').unsigned().notNullable();
    t.bigInteger('derivation_index').unsigned().notNullable();
    t.enu('role', ['change', 'consolidation']).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.unique(['chain', 'address']);
    t.unique(['chain', 'branch', 'derivation_index']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('wallet_addresses');
  await db.schema.dropTable('utxo_build_members');
  await db.schema.dropTable('utxo_builds');
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropColumn('output_index');
  });
  await db.schema.alterTable('withdrawal_txs', (t) => {
    t.dropIndex(['build_id']);
    t.dropColumn('build_id');
    t.dropColumn('fee_rate');
    t.dropColumn('network_fee');
    t.dropColumn('vout');
  });
  await db.raw('DELETE FROM withdrawal_txs WHERE nonce IS NULL');
  await db.raw(`ALTER TABLE withdrawal_txs
    MODIFY nonce BIGINT UNSIGNED NOT NULL,
    MODIFY gas_limit DECIMAL(65,0) NOT NULL,
    MODIFY max_fee_per_gas DECIMAL(65,0) NOT NULL,
    MODIFY max_priority_fee_per_gas DECIMAL(65,0) NOT NULL`);
  await db.raw('ALTER TABLE withdrawal_txs DROP PRIMARY KEY, ADD PRIMARY KEY (chain, txid)');
}
