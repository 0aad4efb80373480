import type { Knex } from 'knex';

const now = (db: Knex) => db.raw('CURRENT_TIMESTAMP(3)');

/**
 * The auditors' policies, all owned by signsrv (issue 14):
 * - withdrawal_approvals: one row per approver of a withdrawal, bound to the localhash the approver saw (an approval
 *   given to another localhash never counts).
 * - withdrawal_policies: per asset, append-only versions (the current one is the highest id); each withdrawal records
 *   the version that decided it (sign_requests.policy_id).
 * - whitelist_entries: per client destination whitelist; an entry is usable from usable_at (the cooling-off) until
 *   removed. At most one live entry per (client, chain, address): `live` is 1 while not removed, NULL after.
 * - signing_controls: the one row of global switches: the kill switch (nothing signs while paused), whether the
 *   bearer-token automation role may decide, the whitelist's cooling-off.
 * - sign_requests gains what the decision needs: the approvals required, the policy, the hold after final approval,
 *   and who requested the withdrawal (a user never approves what they requested).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('withdrawal_approvals', (t) => {
    t.string('withdrawal_id', 40).notNullable();
    t.string('approver', 100).notNullable();
    t.string('role', 20).notNullable();
    t.string('localhash', 64).notNullable();
    t.string('comment', 200).nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.primary(['withdrawal_id', 'approver']);
  });
  await db.schema.createTable('withdrawal_policies', (t) => {
    t.bigIncrements('id');
    t.string('asset', 32).notNullable();
    t.text('rules').notNullable();
    t.string('created_by', 100).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.index(['asset', 'id']);
  });
  await db.schema.createTable('whitelist_entries', (t) => {
    t.bigIncrements('id');
    t.string('client_id', 40).notNullable();
    t.string('chain', 16).notNullable();
    t.string('address', 128).notNullable();
    t.string('label', 100).nullable();
    t.string('added_by', 100).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(now(db));
    t.datetime('usable_at', { precision: 3 }).notNullable();
    t.string('removed_by', 100).nullable();
    t.datetime('removed_at', { precision: 3 }).nullable();
    t.specificType('live', 'TINYINT AS (IF(removed_at IS NULL, 1, NULL)) PERSISTENT');
    t.unique(['client_id', 'chain', 'address', 'live']);
    t.index(['client_id', 'id']);
  });
  await db.schema.createTable('signing_controls', (t) => {
    t.tinyint('id').unsigned().primary();
    t.boolean('paused').notNullable().defaultTo(false);
    t.string('paused_by', 100).nullable();
    t.string('pause_reason', 200).nullable();
    t.datetime('paused_at', { precision: 3 }).nullable();
    t.boolean('automation_enabled').notNullable().defaultTo(true);
    t.integer('whitelist_cooling_off_s').unsigned().notNullable().defaultTo(86_400);
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(now(db));
  });
  await db('signing_controls').insert({ id: 1 });
  await db.schema.alterTable('sign_requests', (t) => {
    t.integer('required_approvals').unsigned().nullable();
    t.bigInteger('policy_id').unsigned().nullable();
    t.datetime('hold_until', { precision: 3 }).nullable();
    t.string('requested_by', 100).nullable();
  });
  // signsrv's velocity reads (a rolling 24 h per account and per client and asset) on transrv's table.
  await db.schema.alterTable('withdrawals', (t) => {
    t.index(['account_id', 'asset', 'created_at'], 'withdrawals_velocity_account');
    t.index(['client_id', 'asset', 'created_at'], 'withdrawals_velocity_client');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('withdrawals', (t) => {
    t.dropIndex([], 'withdrawals_velocity_account');
    t.dropIndex([], 'withdrawals_velocity_client');
  });
  await db.schema.alterTable('sign_requests', (t) => {
    t.dropColumn('required_approvals');
    t.dropColumn('policy_id');
    t.dropColumn('hold_until');
    t.dropColumn('requested_by');
  });
  for (const table of ['signing_controls', 'whitelist_entries', 'withdrawal_policies', 'withdrawal_approvals']) {
    await db.schema.dropTable(table);
  }
}
