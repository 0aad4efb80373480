import type { Knex } from 'knex';

/**
 * The users of the auditors' console (signsrv owns all three tables; @wallet/console-auth alone writes them):
 * - console_users: auditors and admins. `username` is stored lower-cased (the code folds it, the CHECK refuses
 *   anything else), so `Alice` cannot become a second account beside `alice`. `password_hash` is scrypt in a
 *   self-describing string (`$scrypt$ln=15,r=8,p=1$salt$hash`); `totp_secret` the RFC 6238 shared secret in base32;
 *   `totp_last_step` the time step of the last accepted code, so a code is accepted once. `failed_logins` and
 *   `locked_until` show an admin the lockout (auth_throttle enforces it).
 * - console_sessions: `id` is the SHA-256 (hex) of the session token: the token itself is never stored, so a copy of
 *   this table opens no session. Idle expiry is `last_seen_at` plus the configured idle time; `expires_at` is the
 *   absolute end.
 * - auth_throttle: consecutive failures and the block they caused, per key (`ip:1.2.3.4`, `user:alice`,
 *   `bearer:ip:1.2.3.4`): the console's login and the bearer-token review API both use it.
 * Times are written by the code from its clock (UTC), not by MySQL, so tests can move the clock.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('console_users', (t) => {
    t.string('id', 40).primary();
    t.string('username', 64).notNullable().unique();
    t.enu('role', ['auditor', 'admin']).notNullable();
    t.string('password_hash', 255).notNullable();
    // 20 bytes in base32: 32 characters
    t.string('totp_secret', 64).notNullable();
    t.bigInteger('totp_last_step').unsigned().nullable();
    t.enu('status', ['active', 'disabled']).notNullable().defaultTo('active');
    t.integer('failed_logins').unsigned().notNullable().defaultTo(0);
    t.datetime('locked_until', { precision: 3 }).nullable();
    t.string('created_by', 100).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('updated_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.datetime('last_login_at', { precision: 3 }).nullable();
  });
  await db.raw("ALTER TABLE console_users ADD CONSTRAINT console_users_username_format CHECK (username REGEXP '^[a-z0-9_.-]{1,64}$')");

  await db.schema.createTable('console_sessions', (t) => {
    t.string('id', 64).primary();
    t.string('user_id', 40).notNullable().references('id').inTable('console_users');
    t.string('csrf_token', 64).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable();
    t.datetime('last_seen_at', { precision: 3 }).notNullable();
    t.datetime('expires_at', { precision: 3 }).notNullable();
    t.datetime('revoked_at', { precision: 3 }).nullable();
    t.string('ip', 64).notNullable();
    t.string('user_agent', 255).notNullable();
    t.index(['user_id', 'revoked_at']);
  });

  await db.schema.createTable('auth_throttle', (t) => {
    t.string('key', 200).primary();
    t.integer('failures').unsigned().notNullable().defaultTo(0);
    t.datetime('last_failure_at', { precision: 3 }).nullable();
    t.datetime('blocked_until', { precision: 3 }).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('auth_throttle');
  await db.schema.dropTable('console_sessions');
  await db.schema.dropTable('console_users');
}
