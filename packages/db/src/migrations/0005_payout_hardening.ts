import type { Knex } from 'knex';

/**
 * Withdrawals, second step (0004 has run on deployed databases and is never edited):
 * - hot_wallets keeps every hot address a chain ever had, one of them active: after a key rotation the scanner still
 *   records what the old address sends (its transactions in flight must settle; anything else from it is an alarm).
 * - withdrawal_observations.token_transfers: the ERC20 Transfer logs of the listed token contracts that a hot-wallet
 *   transaction emitted (JSON), so settlement can see that a token withdrawal moved exactly what it should: a token
 *   that returns false instead of reverting "succeeds" without moving anything.
 * - withdrawal_observations.dropped: the transaction of a withdrawal already settled whose block a reorg deeper than
 *   its confirmations dropped. The books keep the settlement (an operator is alarmed); signsrv re-sends the same signed
 *   transaction until it is mined again, so the chain catches up with the books and later nonces are not blocked.
 * - sign_requests.decision 'voided': an approved withdrawal that was never signed (its transaction cannot be built)
 *   given up by an auditor; transrv releases its funds (failed).
 * - sign_alerts by withdrawal, for alarms raised once per withdrawal.
 */
export async function up(db: Knex): Promise<void> {
  await db.raw('ALTER TABLE hot_wallets DROP PRIMARY KEY, ADD PRIMARY KEY (chain, address)');
  await db.schema.alterTable('hot_wallets', (t) => {
    t.boolean('active').notNullable().defaultTo(true);
  });
  await db.schema.alterTable('withdrawal_observations', (t) => {
    t.text('token_transfers').nullable();
    t.boolean('dropped').notNullable().defaultTo(false);
    t.index(['dropped']);
  });
  await db.raw("ALTER TABLE sign_requests MODIFY decision ENUM('approved', 'rejected', 'voided') NULL");
  await db.schema.alterTable('sign_alerts', (t) => {
    t.index(['withdrawal_id', 'kind']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('sign_alerts', (t) => {
    t.dropIndex(['withdrawal_id', 'kind']);
  });
  await db.raw("ALTER TABLE sign_requests MODIFY decision ENUM('approved', 'rejected') NULL");
  await db.schema.alterTable('withdrawal_observations', (t) => {
    t.dropIndex(['dropped']);
    t.dropColumn('dropped');
    t.dropColumn('token_transfers');
  });
  await db.schema.alterTable('hot_wallets', (t) => {
    t.dropColumn('active');
  });
  // Back to one address per chain: keep the active one.
  await db.raw('DELETE FROM hot_wallets WHERE active = 0');
  await db.raw('ALTER TABLE hot_wallets DROP PRIMARY KEY, ADD PRIMARY KEY (chain)');
}
