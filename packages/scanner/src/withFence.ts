import { type Knex, withTransaction } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/** A scanner's right to write for a chain: the revision of its etcd election key (higher is newer). */
export type Fence = { readonly chain: string; readonly token: bigint; readonly holder: string };

/**
 * Runs `work` in one MySQL transaction that first proves `fence` is the newest writer for its chain: the
 * chain's fence row is locked, a lower token than the stored one is refused (FENCED), a higher one is
 * recorded. An etcd lease is not a lock (a paused process can outlive it); this check in the same
 * transaction as the write is what keeps a stale leader from writing.
 * @throws WalletError FENCED
 */
export async function withFence<T>(db: Knex, fence: Fence, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return withTransaction(db, async (trx) => {
    const [rows] = (await trx.raw('SELECT CAST(token AS CHAR) AS token, holder FROM scanner_fences WHERE chain = ? FOR UPDATE', [
      fence.chain,
    ])) as [{ token: string; holder: string }[]];
    const stored = rows[0];
    if (!stored) {
      await trx('scanner_fences').insert({ chain: fence.chain, token: fence.token.toString(), holder: fence.holder });
    } else if (BigInt(stored.token) > fence.token) {
      throw new WalletError('FENCED', `scanner of ${fence.chain} with token ${fence.token} was superseded by ${stored.holder}`, {
        details: { chain: fence.chain, token: fence.token.toString(), current: stored.token },
      });
    } else if (BigInt(stored.token) < fence.token) {
      await trx('scanner_fences')
        .where({ chain: fence.chain })
        .update({ token: fence.token.toString(), holder: fence.holder, updated_at: trx.raw('CURRENT_TIMESTAMP(3)') });
    }
    return work(trx);
  });
}
