import type { Knex } from 'knex';

/**
 * signsrv's treasury movements that are not withdrawals and not sweeps, each reviewed by admins (M distinct, never the
 * one who asked) before it is signed:
 *
 * - `cold_transfer`: the excess of the hot wallet over an asset's cap, to the configured cold address (planned by the
 *   tier job);
 * - `contract_call`: an operator's outbound EVM transaction from the hot wallet (`to` a contract with `data` and
 *   `value`, or a contract creation when `to_address` is NULL);
 * - `refill`: coins that arrived at the hot wallet from a cold address, recognised on chain and recorded (already
 *   `confirmed`; never signed here).
 *
 * ```
 * pending_review --(M admin approvals)--> approved --> signed --> broadcast --> confirmed | failed
 *        \--(one rejection)--> rejected                    \-------------------------------> failed
 * ```
 *
 * Every transition is one MySQL transaction on the row. The transaction is signed once, at the hot wallet's next nonce
 * from the same allocator as withdrawals (`nonce_counters`), stored with the row (UNIQUE (chain, from_address, nonce))
 * and from then on only re-sent as the same bytes. `open_asset` is the asset while a cold transfer is open: one open
 * cold transfer per asset, so the tier job never plans two for the same excess.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('treasury_moves', (t) => {
    t.string('id', 40).primary();
    t.enu('kind', ['cold_transfer', 'contract_call', 'refill']).notNullable();
    t.string('chain', 16).notNullable();
    // cold_transfer, refill: the asset moved; contract_call: the chain's native asset (what `amount` is in).
    t.string('asset', 16).notNullable();
    // The hot wallet that signs it (refill: the cold address it came from).
    t.string('from_address', 100).notNullable();
    // Where it goes; NULL: a contract creation.
    t.string('to_address', 100).nullable();
    // Base units of `asset`: what a transfer moves, or the value a call sends.
    t.decimal('amount', 65, 0).notNullable();
    // contract_call: the calldata (or creation code), 0x-hex; '0x' otherwise.
    t.text('data', 'mediumtext').notNullable();
    t.enu('status', ['pending_review', 'approved', 'rejected', 'signed', 'broadcast', 'confirmed', 'failed']).notNullable();
    t.integer('required_approvals').unsigned().notNullable();
    t.string('requested_by', 100).notNullable();
    t.string('note', 500).nullable();
    // Signing: the hot wallet's nonce, gas and the signed bytes (re-sent as they are).
    t.bigInteger('nonce').unsigned().nullable();
    t.bigInteger('gas_limit').unsigned().nullable();
    t.decimal('gas_price', 65, 0).nullable();
    t.string('txid', 100).nullable();
    t.text('raw', 'mediumtext').nullable();
    // The receipt: fee burnt, block, and for a creation the contract's address.
    t.decimal('fee', 65, 0).nullable();
    t.bigInteger('block').unsigned().nullable();
    t.string('contract_address', 100).nullable();
    t.string('reason', 200).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('decided_at', { precision: 3 }).nullable();
    t.datetime('broadcast_at', { precision: 3 }).nullable();
    t.datetime('last_broadcast_at', { precision: 3 }).nullable();
    t.datetime('finished_at', { precision: 3 }).nullable();
    t.unique(['chain', 'from_address', 'nonce'], { indexName: 'treasury_moves_nonce' });
    // A refill is recorded once per (transaction, asset); a signed move's txid is unique with its kind.
    t.unique(['chain', 'kind', 'txid', 'asset'], { indexName: 'treasury_moves_txid' });
    t.index(['chain', 'status'], 'treasury_moves_chain_status');
    t.index(['status', 'created_at'], 'treasury_moves_status');
    t.index(['chain', 'txid'], 'treasury_moves_by_txid');
  });
  await db.raw(
    `ALTER TABLE treasury_moves ADD COLUMN open_asset VARCHAR(16)
       AS (IF(kind = 'cold_transfer' AND status IN ('pending_review', 'approved', 'signed', 'broadcast'), asset, NULL)) PERSISTENT,
     ADD UNIQUE KEY treasury_moves_one_open_cold (chain, open_asset)`,
  );
  await db.schema.createTable('treasury_move_approvals', (t) => {
    t.string('move_id', 40).notNullable().references('id').inTable('treasury_moves');
    t.string('approver', 100).notNullable();
    t.enu('decision', ['approved', 'rejected']).notNullable();
    t.string('reason', 500).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.primary(['move_id', 'approver']);
  });
  // The tiers signsrv runs with (its configuration, written at start, as operated_addresses): shown by walletctl and
  // the console; `below_floor_since` marks an episode of the hot wallet under its floor (one alarm per episode).
  await db.schema.createTable('treasury_tiers', (t) => {
    t.string('asset', 16).primary();
    t.string('chain', 16).notNullable();
    t.decimal('cap', 65, 0).nullable();
    t.decimal('floor', 65, 0).nullable();
    t.string('cold_address', 100).nullable();
    t.decimal('last_hot', 65, 0).nullable();
    t.datetime('measured_at', { precision: 3 }).nullable();
    t.datetime('below_floor_since', { precision: 3 }).nullable();
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
  });
  // Where the refill follower of each chain goes on from (the next block to read).
  await db.schema.createTable('treasury_cursors', (t) => {
    t.string('chain', 16).primary();
    t.bigInteger('next_block').unsigned().notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('treasury_cursors');
  await db.schema.dropTable('treasury_tiers');
  await db.schema.dropTable('treasury_move_approvals');
  await db.schema.dropTable('treasury_moves');
}
