import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/** A client's POST as the gateway claimed it: its Idempotency-Key and the hash of what was asked. */
export type RequestKey = { readonly clientId: string; readonly key: string; readonly hash: string };

/**
 * How an answer is stored and read back: its JSON (`response`), and a secret sealed apart (`secret_box`), so that a
 * secret the answer carries (a new webhook's) is never stored in plaintext.
 */
export type StoredAnswer<T> = {
  store(value: T): { readonly response: unknown; readonly secretBox?: string };
  revive(response: unknown, secretBox: string | null): T;
};

const asIs: StoredAnswer<never> = { store: (value) => ({ response: value }), revive: (response) => response as never };

/** What a stored answer's secret is sealed for: binds it to its request's row. */
export const requestSecretContext = (request: { readonly clientId: string; readonly key: string }): string =>
  `webhook_requests:${request.clientId}:${request.key}`;

/**
 * Runs `work` once per Idempotency-Key: its answer is stored (`webhook_requests`) in the same transaction as its
 * effect, so a retry, even after the gateway's cache was lost, gets the first answer and changes nothing.
 * @returns the answer, and whether it is the stored one
 * @throws WalletError IDEMPOTENCY_KEY_REUSED when the key was used for another request
 */
export async function requestOnce<T>(
  db: Knex,
  request: RequestKey,
  work: (trx: Knex.Transaction) => Promise<T>,
  answer: StoredAnswer<T> = asIs,
): Promise<{ value: T; replayed: boolean }> {
  const run = () =>
    withTransaction(db, async (trx) => {
      const earlier = await trx('webhook_requests')
        .where({ client_id: request.clientId, idempotency_key: request.key })
        .forUpdate()
        .first<{ request_hash: string; response: string; secret_box: string | null } | undefined>('request_hash', 'response', 'secret_box');
      if (earlier) {
        if (earlier.request_hash !== request.hash) {
          throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
        }
        return { value: answer.revive(JSON.parse(earlier.response), earlier.secret_box), replayed: true };
      }
      const value = await work(trx);
      const stored = answer.store(value);
      await trx('webhook_requests').insert({
        client_id: request.clientId,
        idempotency_key: request.key,
        request_hash: request.hash,
        response: JSON.stringify(stored.response),
        secret_box: stored.secretBox ?? null,
      });
      return { value, replayed: false };
    });
  try {
    return await run();
  } catch (error) {
    // The same key's first request committed meanwhile: read its answer.
    if (isDuplicateKey(error)) return run();
    throw error;
  }
}
