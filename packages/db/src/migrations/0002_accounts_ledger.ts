import type { Knex } from 'knex';

/**
 * Clients, accounts bound for life to a transrv node, HD deposit addresses, and the double-entry ledger.
 *
 * Money columns are DECIMAL(65,0) in base units; code always binds them as CAST(? AS DECIMAL(65,0))
 * so MySQL never compares them as doubles.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('clients', (t) => {
    t.string('id', 40).primary();
    t.string('name', 100).notNullable();
    t.string('key_id', 40).notNullable().unique();
    // HMAC key: the gateway must be able to recompute signatures, so it is stored, never logged.
    t.string('secret', 100).notNullable();
    t.enu('status', ['active', 'disabled']).notNullable().defaultTo('active');
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
  });

  await db.schema.alterTable('transrv_nodes', (t) => {
    // Maintained in the same transaction that binds an account: the least-loaded pick reads it.
    t.bigInteger('bound_accounts').unsigned().notNullable().defaultTo(0);
  });

  await db.schema.createTable('accounts', (t) => {
    t.string('id', 40).primary();
    t.string('client_id', 40).notNullable().references('clients.id');
    t.string('external_id', 128).notNullable();
    t.string('node_id', 32).notNullable().references('transrv_nodes.node_id');
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.unique(['client_id', 'external_id']);
    t.index(['node_id']);
  });
  // The binding is for life: the database itself refuses to move an account to another node.
  await db.raw(`
    CREATE TRIGGER accounts_binding_is_for_life BEFORE UPDATE ON accounts FOR EACH ROW
    BEGIN
      IF NEW.node_id <> OLD.node_id OR NEW.client_id <> OLD.client_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'account binding is immutable';
      END IF;
    END`);

  await db.schema.createTable('address_counters', (t) => {
    t.string('chain', 16).primary();
    t.bigInteger('next_index').unsigned().notNullable().defaultTo(0);
  });

  await db.schema.createTable('addresses', (t) => {
    t.bigIncrements('id');
    t.string('chain', 16).notNullable();
    t.string('address', 100).notNullable();
    t.bigInteger('derivation_index').unsigned().notNullable();
    t.string('path', 64).notNullable();
    t.string('account_id', 40).notNullable().references('accounts.id');
    t.string('client_id', 40).notNullable();
    t.string('idempotency_key', 64).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.unique(['chain', 'address']);
    t.unique(['chain', 'derivation_index']);
    t.unique(['client_id', 'idempotency_key']);
    t.index(['account_id', 'id']);
  });

  // Per account and asset: what the ledger says, kept in step with the journal in each transaction.
  await db.schema.createTable('balances', (t) => {
    t.string('account_id', 40).notNullable();
    t.string('asset', 16).notNullable();
    t.decimal('available', 65, 0).notNullable().defaultTo(0);
    t.decimal('frozen', 65, 0).notNullable().defaultTo(0);
    // Deposits seen on chain and not yet credited: informational, not a journal bucket.
    t.decimal('pending', 65, 0).notNullable().defaultTo(0);
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['account_id', 'asset']);
  });
  await db.raw('ALTER TABLE balances ADD CONSTRAINT balances_never_negative CHECK (available >= 0 AND frozen >= 0 AND pending >= 0)');

  // Append-only double-entry journal: the lines of one entry (entry_id) sum to zero per asset.
  // account_id is a user account or a system account ('sys:...', no balance row, may go negative).
  await db.schema.createTable('journal', (t) => {
    t.bigIncrements('id');
    t.string('entry_id', 48).notNullable();
    t.string('node_id', 32).notNullable();
    t.string('account_id', 64).notNullable();
    t.string('asset', 16).notNullable();
    t.enu('bucket', ['available', 'frozen']).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.decimal('balance_after', 65, 0).nullable();
    t.string('kind', 32).notNullable();
    t.string('ref_id', 64).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['account_id', 'id']);
    t.index(['entry_id']);
    t.index(['asset']);
  });
  await db.raw(`
    CREATE TRIGGER journal_is_append_only_u BEFORE UPDATE ON journal FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal is append-only: post a reversing entry'`);
  await db.raw(`
    CREATE TRIGGER journal_is_append_only_d BEFORE DELETE ON journal FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'journal is append-only: post a reversing entry'`);

  // Owned by the debited account's node. A cross-node transfer stays pending_credit until the other
  // node has acknowledged the credit (idempotent on transfer id there).
  await db.schema.createTable('transfers', (t) => {
    t.string('id', 40).primary();
    t.string('client_id', 40).notNullable();
    t.string('idempotency_key', 64).notNullable();
    t.string('request_hash', 64).notNullable();
    t.string('from_account_id', 40).notNullable();
    t.string('to_account_id', 40).notNullable();
    t.string('from_node_id', 32).notNullable();
    t.string('to_node_id', 32).notNullable();
    t.string('asset', 16).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.enu('status', ['pending_credit', 'completed']).notNullable();
    t.integer('delivery_attempts').unsigned().notNullable().defaultTo(0);
    t.string('last_error', 200).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('completed_at', { precision: 3 }).nullable();
    t.unique(['client_id', 'idempotency_key']);
    t.index(['from_node_id', 'status']);
  });

  // The credit side's record of credits it has posted: the primary key makes delivery exactly-once.
  await db.schema.createTable('transfer_credits', (t) => {
    t.string('transfer_id', 40).primary();
    t.string('to_node_id', 32).notNullable();
    t.string('from_node_id', 32).notNullable();
    t.string('to_account_id', 40).notNullable();
    t.string('asset', 16).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('transfer_credits');
  await db.schema.dropTable('transfers');
  await db.schema.dropTable('journal');
  await db.schema.dropTable('balances');
  await db.schema.dropTable('addresses');
  await db.schema.dropTable('address_counters');
  await db.schema.dropTable('accounts');
  await db.schema.alterTable('transrv_nodes', (t) => t.dropColumn('bound_accounts'));
  await db.schema.dropTable('clients');
}
