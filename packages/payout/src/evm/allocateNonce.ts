import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/**
 * Nonces for withdrawals' transactions from one hot address, inside the caller's (signing) transaction: the
 * allocator row is locked once, each withdrawal without a nonce gets the next one, for ever (nonce_assignments: one
 * nonce per withdrawal, one withdrawal per nonce), in the order given, and the allocator moves past them. Nonces are
 * therefore handed out contiguously, in commit order, and never to two withdrawals; asking again for a withdrawal
 * (a replacement transaction) gives the nonce it already has.
 * @returns the nonce of each withdrawal
 * @throws WalletError INTERNAL when the allocator of this hot address was never initialised
 */
export async function allocateNonces(
  trx: Knex.Transaction,
  chain: string,
  address: string,
  withdrawalIds: readonly string[],
): Promise<Map<string, number>> {
  const nonces = new Map<string, number>();
  if (withdrawalIds.length === 0) return nonces;
  const existing = await trx('nonce_assignments')
    .whereIn('withdrawal_id', [...withdrawalIds])
    .select<{ withdrawal_id: string; nonce: string }[]>('withdrawal_id', 'nonce');
  for (const e of existing) nonces.set(e.withdrawal_id, Number(e.nonce));
  const fresh = [...new Set(withdrawalIds)].filter((id) => !nonces.has(id));
  if (fresh.length === 0) return nonces;
  const first = await takeNonces(trx, chain, address, fresh.length);
  fresh.forEach((id, i) => nonces.set(id, first + i));
  await trx('nonce_assignments').insert(fresh.map((id, i) => ({ chain, address, nonce: first + i, withdrawal_id: id })));
  return nonces;
}

/**
 * Takes `count` consecutive nonces of one sending address from its allocator (`nonce_counters`), inside the caller's
 * transaction: the allocator row is locked and moved past them, so they are never handed out again, whatever the
 * caller records them against (a withdrawal's `nonce_assignments`, a sweep's top-up row) in the same transaction.
 * @returns the first of them
 * @throws WalletError INTERNAL when the allocator of this address was never initialised ({@link initNonceAllocator})
 */
export async function takeNonces(trx: Knex.Transaction, chain: string, address: string, count: number): Promise<number> {
  const [rows] = (await trx.raw('SELECT next_nonce FROM nonce_counters WHERE chain = ? AND address = ? FOR UPDATE', [chain, address])) as [
    { next_nonce: string }[],
  ];
  const row = rows[0];
  if (!row) throw new WalletError('INTERNAL', `no nonce allocator for the ${chain} address ${address}`, { details: { chain, address } });
  const first = Number(row.next_nonce);
  await trx('nonce_counters')
    .where({ chain, address })
    .update({ next_nonce: first + count });
  return first;
}

/** {@link allocateNonces} for one withdrawal. */
export async function allocateNonce(trx: Knex.Transaction, chain: string, address: string, withdrawalId: string): Promise<number> {
  return (await allocateNonces(trx, chain, address, [withdrawalId])).get(withdrawalId)!;
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
