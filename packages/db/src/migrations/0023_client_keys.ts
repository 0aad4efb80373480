import type { Knex } from 'knex';

/**
 * API keys as records of their own (issue 15, key management): a client (an exchange) may hold several keys, each with
 * its own secret, scopes and source allow-list, e.g. a read-only reporting key and a withdrawal key usable only from
 * the exchange's offices. accountsrv owns the table; the gateways read it only through GetClientCredentials.
 * - key_id: the X-Api-Key (primary key: one key, one client).
 * - secret, previous_secret, previous_secret_expires_at: as clients had them (0007): a rotation keeps the previous
 *   secret until the expiry, written by MySQL's clock.
 * - scopes: the key's scopes as text, comma-separated in a fixed order (`read,transfer,withdraw`); at least one.
 * - allowed_cidrs: the source allow-list, comma-separated canonical CIDRs (`10.0.0.0/8,2001:db8::/32`); empty: any.
 * - status: a disabled key is refused on every gateway; the client's own status still applies on top of it.
 * The client's existing key becomes its first record here, with every scope and no allow-list (what it could do
 * before), and its secrets move: clients.secret and clients.previous_secret* are emptied (a secret kept in one place
 * only), and clients.key_id stays as the id of the key the client was created with. The columns inherit utf8mb4_bin.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('client_keys', (t) => {
    t.string('key_id', 40).primary();
    t.string('client_id', 40).notNullable().references('id').inTable('clients');
    // HMAC key, as clients.secret was: the gateway recomputes signatures, so it is stored, never logged.
    t.string('secret', 100).notNullable();
    t.string('previous_secret', 100).nullable();
    t.datetime('previous_secret_expires_at', { precision: 3 }).nullable();
    t.string('scopes', 64).notNullable();
    t.string('allowed_cidrs', 2048).notNullable().defaultTo('');
    t.enu('status', ['active', 'disabled']).notNullable().defaultTo('active');
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(db.raw('CURRENT_TIMESTAMP(3)'));
    t.index(['client_id', 'created_at'], 'client_keys_by_client');
  });
  await db.raw(
    "ALTER TABLE client_keys ADD CONSTRAINT client_keys_scopes CHECK (scopes REGEXP '^(read|transfer|withdraw)(,(read|transfer|withdraw))*$')",
  );
  await db.raw(`
    INSERT INTO client_keys (key_id, client_id, secret, previous_secret, previous_secret_expires_at, scopes, allowed_cidrs, status, created_at)
    SELECT key_id, id, secret, previous_secret, previous_secret_expires_at, 'read,transfer,withdraw', '', 'active', created_at
    FROM clients`);
  await db.schema.alterTable('clients', (t) => {
    t.string('secret', 100).nullable().alter();
  });
  await db('clients').update({ secret: null, previous_secret: null, previous_secret_expires_at: null });
}

export async function down(db: Knex): Promise<void> {
  // The first key's secrets go back to the client; keys added later are lost with the table.
  await db.raw(`
    UPDATE clients c JOIN client_keys k ON k.key_id = c.key_id
    SET c.secret = k.secret, c.previous_secret = k.previous_secret, c.previous_secret_expires_at = k.previous_secret_expires_at`);
  await db('clients').whereNull('secret').update({ secret: '' });
  await db.schema.alterTable('clients', (t) => {
    t.string('secret', 100).notNullable().alter();
  });
  await db.schema.dropTable('client_keys');
}
