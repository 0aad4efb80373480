import type { ChainSpec } from '@wallet/assets';
import { type ReservedReason, chainFamily } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { operatedRoles } from './operatedAddresses.js';

/** Where a screened destination leads: on chain, or to an account of this wallet. */
export type ScreenedDestination = {
  /** The account whose deposit address it is (the withdrawal is settled internally), or null (paid on chain). */
  readonly internalAccountId: string | null;
};

/**
 * Screens a withdrawal's destination, at request time (before anything is frozen) and again in signsrv before it
 * signs: refused when its chain's family reserves it (EVM: the zero address and the precompile range; see
 * `chainFamily`), or when the wallet itself operates it (a hot wallet, current or earlier, or a configured
 * fee/sweep/cold address, or on a UTXO chain a change or consolidation address of the wallet: paying one would debit the
 * user while only the network fee leaves the wallet). A deposit address of any account of this wallet is allowed and
 * makes the withdrawal internal.
 * @param to the destination in the chain's canonical form (as validateAddress returns it)
 * @throws WalletError INVALID_DESTINATION with `details.reason` `zero_address`, `reserved_address` or `operated_address`
 */
export async function screenDestination(db: Knex, chain: Pick<ChainSpec, 'id' | 'kind'>, to: string): Promise<ScreenedDestination> {
  const reserved = chainFamily(chain).reservedDestination(to);
  if (reserved !== null) throw invalidDestination(to, reserved);
  const operated = await operatedRoles(db, chain.id, [to]);
  if (operated.size > 0) throw invalidDestination(to, 'operated_address');
  // Deposit addresses are stored in the canonical form `to` is in (accountsrv's accountOfAddress compares byte-exact).
  const row = await db('addresses').where({ chain: chain.id, address: to }).first<{ account_id: string } | undefined>('account_id');
  return { internalAccountId: row?.account_id ?? null };
}

/** INVALID_DESTINATION for `to`, with the reason (not the role of an operated address: that stays internal). */
export function invalidDestination(to: string, reason: ReservedReason | 'operated_address'): WalletError {
  return new WalletError('INVALID_DESTINATION', `the destination cannot receive a withdrawal (${reason.replace('_', ' ')})`, {
    details: { field: 'to', to, reason },
  });
}
