import type { Knex } from 'knex';

const now = (db: Knex) => db.raw('CURRENT_TIMESTAMP(3)');

/**
 * Withdrawals: the request and its life (transrv), the review, nonces and signed transactions (signsrv), and what
 * the chain scanner saw of the hot wallet's transactions.
 *
 * Who writes what (every status change is a conditional, forward-only UPDATE plus a withdrawal_events row, in one
 * transaction with the work it records):
 * - transrv (owner of the account's ledger): creates the withdrawal with its freeze; cancelled and rejected with
 *   the release; signed and broadcast as signsrv reports them on blockout_rsp; confirmed and failed with the spend.
 * - signsrv: pending_review -> approved only. Approval and the client's cancel race for the same row, so they are
 *   decided by the same conditional UPDATE: once approved, a cancel finds nothing to cancel, and vice versa.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('withdrawals', (t) => {
    t.string('id', 40).primary();
    t.string('client_id', 40).notNullable();
    t.string('account_id', 40).notNullable();
    t.string('node_id', 32).notNullable();
    t.string('idempotency_key', 64).notNullable();
    t.string('request_hash', 64).notNullable();
    t.string('chain', 16).notNullable();
    t.string('asset', 16).notNullable();
    t.string('to_address', 100).notNullable();
    t.decimal('amount', 65, 0).notNullable();
    t.decimal('fee', 65, 0).notNullable();
    // sha256 of the canonical encoding of (id, account, chain, asset, to, amount, fee): what signsrv re-computes.
    t.string('localhash', 64).notNullable();
    t.enu('status', ['pending_review', 'approved', 'signed', 'broadcast', 'confirmed', 'rejected', 'cancelled', 'failed']).notNullable();
    t.string('reason', 200).nullable();
    // The transaction last reported (signed/broadcast), then the one the chain confirmed.
    t.string('txid', 100).nullable();
    // Native-asset base units the chain actually burned (confirmed or failed).
    t.decimal('network_fee', 65, 0).nullable();
    t.bigInteger('block_number').unsigned().nullable();
    t.string('block_hash', 80).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.unique(['client_id', 'idempotency_key']);
    t.index(['account_id', 'id']);
    t.index(['node_id', 'status']);
    t.index(['status', 'id']);
  });

  // The audit trail: one row per transition, written in the transaction that made it. Append-only.
  await db.schema.createTable('withdrawal_events', (t) => {
    t.bigIncrements('id');
    t.string('withdrawal_id', 40).notNullable();
    t.string('from_status', 16).nullable();
    t.string('to_status', 16).notNullable();
    // client:<clientId>, auditor:<name>, transrv:<node>, signsrv, chain.
    t.string('actor', 100).notNullable();
    t.string('reason', 200).nullable();
    t.string('txid', 100).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.index(['withdrawal_id', 'id']);
  });
  await db.raw(`
    CREATE TRIGGER withdrawal_events_append_only_u BEFORE UPDATE ON withdrawal_events FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'withdrawal_events is append-only'`);
  await db.raw(`
    CREATE TRIGGER withdrawal_events_append_only_d BEFORE DELETE ON withdrawal_events FOR EACH ROW
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'withdrawal_events is append-only'`);

  // transrv's outbox to blockout_req: written with the withdrawal, re-sent until signsrv says it has it.
  await db.schema.createTable('withdrawal_outbox', (t) => {
    t.string('withdrawal_id', 40).primary();
    t.string('node_id', 32).notNullable();
    t.text('payload').notNullable();
    t.integer('sent_count').unsigned().notNullable().defaultTo(0);
    t.datetime('next_send_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.datetime('acked_at', { precision: 3 }).nullable();
    t.index(['node_id', 'acked_at', 'next_send_at']);
  });

  // signsrv: what it has received for review, and its decision (one per withdrawal, never changed).
  await db.schema.createTable('sign_requests', (t) => {
    t.string('withdrawal_id', 40).primary();
    t.string('node_id', 32).notNullable();
    t.string('localhash', 64).notNullable();
    t.enu('decision', ['approved', 'rejected']).nullable();
    t.string('decided_by', 100).nullable();
    t.string('reason', 200).nullable();
    t.datetime('received_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.datetime('decided_at', { precision: 3 }).nullable();
    t.index(['decision', 'received_at']);
  });

  // signsrv's alarms for operators: tampered requests, unknown spends from the hot wallet, nonce trouble.
  await db.schema.createTable('sign_alerts', (t) => {
    t.bigIncrements('id');
    t.string('kind', 40).notNullable();
    t.string('withdrawal_id', 40).nullable();
    t.text('details').notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.index(['kind', 'id']);
  });

  // The hot wallet address per chain (public; written by signsrv at start, read by the chain scanner).
  await db.schema.createTable('hot_wallets', (t) => {
    t.string('chain', 16).primary();
    t.string('address', 100).notNullable();
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(now(db));
  });

  // One nonce allocator per hot address: the next nonce to hand out, under a row lock.
  await db.schema.createTable('nonce_counters', (t) => {
    t.string('chain', 16).notNullable();
    t.string('address', 100).notNullable();
    t.bigInteger('next_nonce').unsigned().notNullable();
    t.primary(['chain', 'address']);
  });
  // A nonce belongs to one withdrawal for ever (replacements reuse it for the same withdrawal only).
  await db.schema.createTable('nonce_assignments', (t) => {
    t.string('chain', 16).notNullable();
    t.string('address', 100).notNullable();
    t.bigInteger('nonce').unsigned().notNullable();
    t.string('withdrawal_id', 40).notNullable().unique();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.primary(['chain', 'address', 'nonce']);
  });

  // Every signed transaction of a withdrawal (the first, and fee-bumped replacements with the same nonce), stored
  // before it is broadcast. A signed transaction is public once sent; it holds no key material.
  await db.schema.createTable('withdrawal_txs', (t) => {
    t.string('chain', 16).notNullable();
    t.string('txid', 100).notNullable();
    t.string('withdrawal_id', 40).notNullable();
    t.integer('attempt').unsigned().notNullable();
    t.string('from_address', 100).notNullable();
    t.bigInteger('nonce').unsigned().notNullable();
    t.text('raw').notNullable();
    t.decimal('gas_limit', 65, 0).notNullable();
    t.decimal('max_fee_per_gas', 65, 0).notNullable();
    t.decimal('max_priority_fee_per_gas', 65, 0).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.datetime('broadcast_at', { precision: 3 }).nullable();
    t.datetime('last_broadcast_at', { precision: 3 }).nullable();
    t.primary(['chain', 'txid']);
    t.unique(['withdrawal_id', 'attempt']);
  });

  // signsrv's outbox to blockout_rsp: re-sent until the withdrawal shows the effect (transrv applied it).
  await db.schema.createTable('sign_outbox', (t) => {
    t.bigIncrements('id');
    t.string('withdrawal_id', 40).notNullable();
    t.string('node_id', 32).notNullable();
    t.string('type', 16).notNullable();
    t.text('payload').notNullable();
    t.integer('sent_count').unsigned().notNullable().defaultTo(0);
    t.datetime('next_send_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.datetime('done_at', { precision: 3 }).nullable();
    t.unique(['withdrawal_id', 'type']);
    t.index(['done_at', 'next_send_at']);
  });

  // Approved totals per asset and UTC day, for the daily limit (locked by each approval).
  await db.schema.createTable('approval_totals', (t) => {
    t.string('asset', 16).notNullable();
    t.date('day').notNullable();
    t.decimal('total', 65, 0).notNullable().defaultTo(0);
    t.primary(['asset', 'day']);
  });

  // What the scanner saw of transactions sent from a hot wallet (fenced like every scanner write). localhash comes
  // from blockout_ctx when the transaction is one of ours; a row without a withdrawal is an unknown spend (alarm).
  await db.schema.createTable('withdrawal_observations', (t) => {
    t.string('chain', 16).notNullable();
    t.string('txid', 100).notNullable();
    t.string('from_address', 100).notNullable();
    t.string('withdrawal_id', 40).nullable();
    t.string('localhash', 64).nullable();
    t.enu('status', ['success', 'failed']).notNullable();
    t.decimal('fee', 65, 0).notNullable();
    t.bigInteger('block_number').unsigned().notNullable();
    t.string('block_hash', 80).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.primary(['chain', 'txid']);
    t.index(['withdrawal_id']);
    t.index(['chain', 'block_number']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of [
    'withdrawal_observations',
    'approval_totals',
    'sign_outbox',
    'withdrawal_txs',
    'nonce_assignments',
    'nonce_counters',
    'hot_wallets',
    'sign_alerts',
    'sign_requests',
    'withdrawal_outbox',
    'withdrawal_events',
    'withdrawals',
  ]) {
    await db.schema.dropTable(table);
  }
}
