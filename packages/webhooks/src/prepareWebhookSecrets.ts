import { type Knex, withTransaction } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { type SealedColumns, type SealedColumnsReport, type SecretBox, prepareSealedColumns } from '@wallet/secret-box';
import { endpointSecretContext } from './endpoints.js';
import { requestSecretContext } from './requestOnce.js';

/** Where the webhook tables keep sealed secrets (transrv's start-up pass). */
export const webhookSecretColumns: readonly SealedColumns[] = [
  {
    table: 'webhook_endpoints',
    primaryKey: ['id'],
    columns: [
      { sealed: 'secret_box', plaintext: 'secret' },
      { sealed: 'previous_secret_box', plaintext: 'previous_secret' },
    ],
    context: (row) => endpointSecretContext(String(row['id'])),
  },
  {
    table: 'webhook_requests',
    primaryKey: ['client_id', 'idempotency_key'],
    columns: [{ sealed: 'secret_box' }],
    context: (row) => requestSecretContext({ clientId: String(row['client_id']), key: String(row['idempotency_key']) }),
  },
];

/**
 * transrv's start-up pass over the webhook secrets: {@link prepareSealedColumns} on both tables (refuses a key file
 * without a needed key; seals plaintext secrets; rewraps under the active key), then moves the secrets that stored
 * answers of webhook POSTs carried in their JSON before issue 18 into `secret_box`, sealed.
 * @param variable the key file's setting (TRANSRV_SECRETS_KEK_FILE), for the refusal
 * @returns one report per table (webhook_requests' `sealed` counts the answers moved)
 */
export async function prepareWebhookSecrets(
  db: Knex,
  box: SecretBox,
  options: { readonly variable: string; readonly log: Logger },
): Promise<SealedColumnsReport[]> {
  const reports = await prepareSealedColumns(db, box, webhookSecretColumns, options);
  const moved = await sealStoredAnswers(db, box);
  if (moved > 0) options.log.info({ table: 'webhook_requests', sealed: moved }, 'secrets of stored answers sealed');
  return reports.map((r) => (r.table === 'webhook_requests' ? { ...r, sealed: r.sealed + moved } : r));
}

/** Answers stored with their secret in the JSON (before issue 18): the secret is sealed apart and dropped from the JSON. */
async function sealStoredAnswers(db: Knex, box: SecretBox): Promise<number> {
  const legacy = (r: Knex.QueryBuilder) => r.whereNull('secret_box').andWhere('response', 'like', '%"secret":%');
  const keys = await legacy(db('webhook_requests')).select<{ client_id: string; idempotency_key: string }[]>(
    'client_id',
    'idempotency_key',
  );
  let moved = 0;
  for (let i = 0; i < keys.length; i += 200) {
    const chunk = keys.slice(i, i + 200).map((k) => [k.client_id, k.idempotency_key]);
    moved += await withTransaction(db, async (trx) => {
      const rows = await legacy(trx('webhook_requests').whereIn(['client_id', 'idempotency_key'], chunk))
        .forUpdate()
        .select<{ client_id: string; idempotency_key: string; response: string }[]>('client_id', 'idempotency_key', 'response');
      let n = 0;
      for (const row of rows) {
        const answer = JSON.parse(row.response) as Record<string, unknown>;
        if (typeof answer['secret'] !== 'string') continue;
        const { secret, ...rest } = answer;
        await trx('webhook_requests')
          .where({ client_id: row.client_id, idempotency_key: row.idempotency_key })
          .update({
            response: JSON.stringify(rest),
            secret_box: box.seal(secret, requestSecretContext({ clientId: row.client_id, key: row.idempotency_key })),
          });
        n++;
      }
      return n;
    });
  }
  return moved;
}
