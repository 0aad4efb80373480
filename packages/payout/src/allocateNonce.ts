import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/**
 * The nonce of a withdrawal's transaction from the hot address, inside the caller's (signing) transaction: the
 * allocator row is locked, its next nonce is given to the withdrawal for ever (nonce_assignments: one nonce per
 * withdrawal, one withdrawal per nonce) and advanced. Nonces are therefore handed out contiguously, in commit
 * order, and never to two withdrawals; a replacement transaction asks again and gets the same one.
 * @throws WalletError INTERNAL when the allocator of this hot address was never initialised
 */
export async function allocateNonce(trx: Knex.Transaction, chain: string, address: string, withdrawalId: string): Promise<number> {
  const existing = await trx('nonce_assignments').where({ withdrawal_id: withdrawalId }).first<{ nonce: string } | undefined>('nonce');
  if (existing) return Number(existing.nonce);
  const [rows] = (await trx.raw('SELECT next_nonce FROM nonce_counters WHERE chain = ? AND address = ? FOR UPDATE', [chain, address])) as [
    { next_nonce: string }[],
  ];
  const row = rows[0];
  if (!row) throw new WalletError('INTERNAL', `no nonce allocator for the ${chain} hot wallet`, { details: { chain, address } });
  const nonce = Number(row.next_nonce);
  await trx('nonce_assignments').insert({ chain, address, nonce, withdrawal_id: withdrawalId });
  await trx('nonce_counters')
    .where({ chain, address })
    .update({ next_nonce: nonce + 1 });
  return nonce;
}

/**
 * Creates the allocator of a hot address at the node's pending nonce, or moves an existing one forward when the
 * chain is ahead of it (something else sent from the hot wallet: the caller raises the alarm).
 * @returns the allocator's next nonce, and how far the chain was ahead (0 normally)
 */
export async function initNonceAllocator(
  db: Knex,
  chain: string,
  address: string,
  chainNonce: number,
): Promise<{ next: number; chainAheadBy: number }> {
  await db.raw('INSERT IGNORE INTO nonce_counters (chain, address, next_nonce) VALUES (?, ?, ?)', [chain, address, chainNonce]);
  return db.transaction(async (trx) => {
    const [rows] = (await trx.raw('SELECT next_nonce FROM nonce_counters WHERE chain = ? AND address = ? FOR UPDATE', [
      chain,
      address,
    ])) as [{ next_nonce: string }[]];
    const next = Number(rows[0]!.next_nonce);
    if (chainNonce <= next) return { next, chainAheadBy: 0 };
    await trx('nonce_counters').where({ chain, address }).update({ next_nonce: chainNonce });
    return { next: chainNonce, chainAheadBy: chainNonce - next };
  });
}
