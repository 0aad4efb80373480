import type { Knex } from 'knex';

/**
 * Webhook signing secrets encrypted at rest (issue 18), transrv's tables. `webhook_endpoints.secret_box` and
 * `previous_secret_box` hold the secrets sealed by @wallet/secret-box (AES-256-GCM under transrv's key-encryption key,
 * TRANSRV_SECRETS_KEK_FILE, bound to the endpoint's id); `secret` becomes nullable and stays empty.
 * `webhook_requests.secret_box` holds the secret of a stored answer (a create or a rotation, replayed to a retry),
 * sealed for that request, instead of its JSON. MySQL cannot encrypt (it has no KEK): transrv seals the existing
 * plaintext when it starts, in transactions of at most 200 rows, and empties the plaintext.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('webhook_endpoints', (t) => {
    t.string('secret', 80).nullable().alter();
    t.string('secret_box', 255).nullable();
    t.string('previous_secret_box', 255).nullable();
  });
  await db.schema.alterTable('webhook_requests', (t) => {
    t.string('secret_box', 255).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  // Sealed secrets cannot be opened here: going back needs them in plaintext first, which is refused rather than lost.
  const [[row]] = (await db.raw(
    'SELECT (SELECT COUNT(*) FROM webhook_endpoints WHERE secret IS NULL) + (SELECT COUNT(*) FROM webhook_requests WHERE secret_box IS NOT NULL) AS n',
  )) as [[{ n: number }]];
  if (Number(row.n) > 0) throw new Error(`webhooks: ${row.n} secrets are sealed; they cannot be restored to plaintext by a migration`);
  await db.schema.alterTable('webhook_requests', (t) => {
    t.dropColumn('secret_box');
  });
  await db.schema.alterTable('webhook_endpoints', (t) => {
    t.dropColumn('previous_secret_box');
    t.dropColumn('secret_box');
    t.string('secret', 80).notNullable().alter();
  });
}
