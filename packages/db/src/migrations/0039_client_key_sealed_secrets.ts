import type { Knex } from 'knex';

/**
 * API key secrets encrypted at rest (issue 18), accountsrv's table. `secret_box` and `previous_secret_box` hold the
 * secrets sealed by @wallet/secret-box (AES-256-GCM under accountsrv's key-encryption key, ACCOUNTSRV_SECRETS_KEK_FILE,
 * bound to the row's key_id); `secret` and `previous_secret` become nullable and stay empty. MySQL cannot encrypt (it
 * has no KEK): accountsrv seals the existing plaintext rows when it starts, in transactions of at most 200 rows, and
 * empties the plaintext columns. A sealed value is at most 255 ASCII characters.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('client_keys', (t) => {
    t.string('secret', 100).nullable().alter();
    t.string('secret_box', 255).nullable();
    t.string('previous_secret_box', 255).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  // Sealed secrets cannot be opened here: going back needs them in plaintext first, which is refused rather than lost.
  const [[row]] = (await db.raw('SELECT COUNT(*) AS n FROM client_keys WHERE secret IS NULL')) as [[{ n: number }]];
  if (Number(row.n) > 0) throw new Error(`client_keys: ${row.n} secrets are sealed; they cannot be restored to plaintext by a migration`);
  await db.schema.alterTable('client_keys', (t) => {
    t.dropColumn('previous_secret_box');
    t.dropColumn('secret_box');
    t.string('secret', 100).notNullable().alter();
  });
}
