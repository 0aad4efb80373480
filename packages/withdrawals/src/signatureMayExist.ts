import type { Knex } from '@wallet/db';

/**
 * Whether signsrv's records show that a signature of the withdrawal may exist: a stored transaction, a nonce assigned
 * to it (EVM), or a UTXO build holding inputs for it that was not abandoned (it may be signed any moment). Locking
 * reads, inside the caller's transaction after it locked the withdrawal: they see what a signing transaction that
 * held that lock first committed. transrv only reads these tables (signsrv owns them).
 */
export async function signatureMayExist(trx: Knex.Transaction, withdrawalId: string): Promise<boolean> {
  const signed = await trx('withdrawal_txs').where({ withdrawal_id: withdrawalId }).forShare().first<{ txid: string } | undefined>('txid');
  const nonce = await trx('nonce_assignments')
    .where({ withdrawal_id: withdrawalId })
    .forShare()
    .first<{ nonce: string } | undefined>('nonce');
  const build = await trx('utxo_build_members as m')
    .join('utxo_builds as b', 'b.id', 'm.build_id')
    .where('m.withdrawal_id', withdrawalId)
    .whereNot('b.status', 'abandoned')
    .forShare()
    .first<{ id: string } | undefined>('b.id');
  return Boolean(signed || nonce || build);
}
