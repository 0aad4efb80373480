import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { localhashOfRow, type WithdrawalRow } from '@wallet/withdrawal-protocol';

/**
 * Checks that a cross-node credit is backed by a confirmed internal withdrawal of the paying node: same credited
 * account, asset and amount, and a row that still hashes to its localhash. The paying node runs it on its own
 * database before it delivers the credit (and sends the chain and address with it); the receiving node runs it only
 * for a sender that did not send them, which shares its database (every node on one database).
 * @returns what the receiver's internal deposit records: the withdrawal, its chain and destination address
 * @throws WalletError CONFLICT when the withdrawal does not back the credit (nothing is credited; the sender's relay
 * keeps trying and logs it)
 */
export async function internalCreditOf(
  db: Knex,
  c: {
    readonly withdrawalId: string;
    readonly fromNodeId: string;
    readonly toAccountId: string;
    readonly asset: string;
    readonly amount: bigint;
  },
): Promise<{ withdrawalId: string; chain: string; address: string }> {
  const w = await db<WithdrawalRow>('withdrawals').where({ id: c.withdrawalId }).first();
  const backed =
    w !== undefined &&
    w.status === 'confirmed' &&
    w.node_id === c.fromNodeId &&
    w.internal_account_id === c.toAccountId &&
    w.asset === c.asset &&
    BigInt(w.amount) === c.amount &&
    localhashOfRow(w) === w.localhash;
  if (!backed) {
    throw new WalletError('CONFLICT', 'no confirmed internal withdrawal backs this credit', { details: { withdrawalId: c.withdrawalId } });
  }
  return { withdrawalId: w.id, chain: w.chain, address: w.to_address };
}
