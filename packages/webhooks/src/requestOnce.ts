import { type Knex, isDuplicateKey, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/** A client's POST as the gateway claimed it: its Idempotency-Key and the hash of what was asked. */
export type RequestKey = { readonly clientId: string; readonly key: string; readonly hash: string };

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
  revive: (stored: unknown) => T = (v) => v as T,
): Promise<{ value: T; replayed: boolean }> {
  const run = () =>
    withTransaction(db, async (trx) => {
      const earlier = await trx('webhook_requests')
        .where({ client_id: request.clientId, idempotency_key: request.key })
        .forUpdate()
        .first<{ request_hash: string; response: string } | undefined>('request_hash', 'response');
      if (earlier) {
        if (earlier.request_hash !== request.hash) {
          throw new WalletError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
        }
        return { value: revive(JSON.parse(earlier.response)), replayed: true };
      }
      const value = await work(trx);
      await trx('webhook_requests').insert({
        client_id: request.clientId,
        idempotency_key: request.key,
        request_hash: request.hash,
        response: JSON.stringify(value),
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
