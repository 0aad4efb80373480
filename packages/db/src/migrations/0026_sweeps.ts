import type { Knex } from 'knex';

/**
 * signsrv's EVM sweeps (the design's "sweep to the main address"): one row per movement of what a deposit address
 * holds of one asset to the hot wallet, with its own state machine:
 *
 * ```
 * planned --(token: top-up signed, sent, its receipt confirmed)--> topped_up --> signed --> broadcast --> confirmed
 *    \__________________________________(native, or gas already there)_______/                      \-> failed
 * ```
 *
 * Every transition is one MySQL transaction on this row. What makes a second sweep of the same coins impossible:
 * - `open_address` is the address while the sweep is open (not confirmed or failed), NULL after: UNIQUE
 *   (chain, open_address) allows one open sweep per deposit address, whatever the asset;
 * - the sweep transaction is signed once, with the deposit address's next nonce recorded here (UNIQUE (chain, address,
 *   sweep_nonce)), and only ever re-sent as the same bytes (`sweep_raw`): the chain mines one transaction per nonce;
 * - the top-up likewise (`topup_raw`, the fee wallet's nonce from its allocator, UNIQUE (chain, topup_from,
 *   topup_nonce)): a crash between signing and sending re-sends it, never signs another.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('sweeps', (t) => {
    t.string('id', 40).primary();
    t.string('chain', 16).notNullable();
    t.string('asset', 16).notNullable();
    // The deposit address swept, in the chain's canonical form (lower-case hex, as `deposits` has it), and its index on
    // the deposit account (the key signsrv derives: m/44'/60'/0'/0/index).
    t.string('address', 100).notNullable();
    t.bigInteger('address_index').unsigned().notNullable();
    // Where it goes: the chain's hot wallet when planned.
    t.string('to_address', 100).notNullable();
    t.enu('status', ['planned', 'topped_up', 'signed', 'broadcast', 'confirmed', 'failed']).notNullable();
    // What the sweep moves (base units of `asset`): the native balance minus the sweep's exact fee, or the token balance.
    t.decimal('amount', 65, 0).notNullable();
    // One price for the sweep and its top-up (wei per gas): maxFeePerGas = maxPriorityFeePerGas, so it is exactly what
    // each pays per gas; and the gas limit of the sweep transaction.
    t.decimal('gas_price', 65, 0).notNullable();
    t.bigInteger('gas_limit').unsigned().notNullable();
    // Native balance of the address when planned (token sweeps: what gas it already had).
    t.decimal('native_before', 65, 0).notNullable();
    // Top-up (token sweeps whose address lacks gas): from the fee wallet, signed once, re-sent as is.
    t.decimal('topup_amount', 65, 0).nullable();
    t.string('topup_from', 100).nullable();
    t.bigInteger('topup_nonce').unsigned().nullable();
    t.string('topup_txid', 100).nullable();
    t.text('topup_raw').nullable();
    t.decimal('topup_fee', 65, 0).nullable();
    t.bigInteger('topup_block').unsigned().nullable();
    t.datetime('topup_sent_at', { precision: 3 }).nullable();
    // The sweep transaction from the deposit address.
    t.bigInteger('sweep_nonce').unsigned().nullable();
    t.string('sweep_txid', 100).nullable();
    t.text('sweep_raw').nullable();
    t.decimal('sweep_fee', 65, 0).nullable();
    t.bigInteger('sweep_block').unsigned().nullable();
    // Native left at the address after a confirmed token sweep (the top-up's unburnt gas): the exchange's, not a user's.
    t.decimal('leftover_native', 65, 0).nullable();
    t.string('reason', 200).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('broadcast_at', { precision: 3 }).nullable();
    t.datetime('last_broadcast_at', { precision: 3 }).nullable();
    t.datetime('finished_at', { precision: 3 }).nullable();
    t.unique(['chain', 'address', 'sweep_nonce'], { indexName: 'sweeps_one_per_nonce' });
    t.unique(['chain', 'topup_from', 'topup_nonce'], { indexName: 'sweeps_topup_nonce' });
    t.unique(['chain', 'sweep_txid'], { indexName: 'sweeps_sweep_txid' });
    // The scanner looks a top-up up by its txid: the wallet's own gas, never a user's deposit.
    t.unique(['chain', 'topup_txid'], { indexName: 'sweeps_topup_txid' });
    t.index(['chain', 'status'], 'sweeps_chain_status');
    t.index(['chain', 'address', 'asset', 'created_at'], 'sweeps_address_asset');
  });
  await db.raw(
    `ALTER TABLE sweeps ADD COLUMN open_address VARCHAR(100)
       AS (IF(status IN ('confirmed', 'failed'), NULL, address)) PERSISTENT,
     ADD UNIQUE KEY sweeps_one_open_per_address (chain, open_address)`,
  );
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('sweeps');
}
