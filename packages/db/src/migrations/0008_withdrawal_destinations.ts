import type { Knex } from 'knex';

/**
 * Withdrawal destinations are screened (docs/withdrawals.md, "Destinations"). New columns and the new table inherit
 * utf8mb4_bin (0006).
 * - operated_addresses (signsrv): the addresses the wallet operates besides its hot wallets (fee, sweep, cold...),
 *   from signsrv's configuration. With hot_wallets (every hot address a chain ever had) it is the one source of
 *   "an address of ours": a withdrawal to one is refused. Rows are never deleted (an old cold wallet is still ours).
 * - withdrawals.internal_account_id (transrv): the account whose deposit address the destination is, decided at
 *   request time. Such a withdrawal is settled in the ledger after approval: nothing is signed or sent.
 * - transfers.withdrawal_id: the cross-node credit of an internal withdrawal travels as a transfer (transit account,
 *   relay, exactly-once credit on the other node); unique, so a withdrawal has at most one.
 * - deposits.internal / withdrawal_id: the credit of an internal withdrawal as the receiving account sees it, with no
 *   transaction and no block (txid, block_number, block_hash NULL); unique per withdrawal.
 * - sign_requests.destination_is_contract (signsrv): whether the destination had code when signsrv received the
 *   request (NULL: not known yet, or internal), for the reviewers.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('operated_addresses', (t) => {
    t.string('chain', 16).notNullable();
    // In the chain's canonical form (EIP-55 for EVM chains); compared case-insensitively for EVM chains.
    t.string('address', 100).notNullable();
    t.string('role', 16).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['chain', 'address']);
  });
  await db.schema.alterTable('withdrawals', (t) => {
    t.string('internal_account_id', 40).nullable();
  });
  await db.schema.alterTable('transfers', (t) => {
    t.string('withdrawal_id', 40).nullable().unique();
  });
  await db.raw(
    'ALTER TABLE deposits MODIFY txid VARCHAR(100) NULL, MODIFY block_number BIGINT UNSIGNED NULL, MODIFY block_hash VARCHAR(80) NULL',
  );
  await db.schema.alterTable('deposits', (t) => {
    t.boolean('internal').notNullable().defaultTo(false);
    t.string('withdrawal_id', 40).nullable().unique();
  });
  await db.schema.alterTable('sign_requests', (t) => {
    t.boolean('destination_is_contract').nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('sign_requests', (t) => {
    t.dropColumn('destination_is_contract');
  });
  await db.raw('DELETE FROM deposits WHERE internal = 1');
  await db.schema.alterTable('deposits', (t) => {
    t.dropUnique(['withdrawal_id']);
    t.dropColumn('withdrawal_id');
    t.dropColumn('internal');
  });
  await db.raw(
    'ALTER TABLE deposits MODIFY txid VARCHAR(100) NOT NULL, MODIFY block_number BIGINT UNSIGNED NOT NULL, MODIFY block_hash VARCHAR(80) NOT NULL',
  );
  await db.schema.alterTable('transfers', (t) => {
    t.dropUnique(['withdrawal_id']);
    t.dropColumn('withdrawal_id');
  });
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropColumn('internal_account_id');
  });
  await db.schema.dropTable('operated_addresses');
}
